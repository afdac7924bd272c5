//! 1×1 convolution with its bias and activation: a matrix product per tile of the output, each
//! tile finished while it is in cache.

use std::ops::Range;

use burn_flex::FlexTensor;
use multiversion::multiversion;

use crate::parallel::{OutputPointer, for_each_index};
use super::{Matrix, activation, matmul, new_tensor, values};
use crate::activation::Activation;

/// Output tile: channels × pixels. Small enough that the tile stays in cache from the bias to
/// the activation, and that a 7×7 map still makes several tiles for the cores to share.
const TILE_CHANNELS: usize = 64;
const TILE_PIXELS: usize = 512;
/// At most this many input channels, a tile is summed by [`narrow_tile`] instead of gemm in
/// WebAssembly: the expansions of EfficientNet's first stages (16, 24 and 40 input channels, the
/// largest maps; docs/PERFORMANCE.md, 29.).
const NARROW_CHANNELS_IN: usize = 48;
/// Natively gemm's AVX-512 kernels stay: [`narrow_tile`] was measured against them only in
/// WebAssembly.
const NARROW_KERNEL: bool = cfg!(target_arch = "wasm32");
/// Consecutive pixels of one output channel that [`narrow_tile`] sums in registers.
const NARROW_PIXELS: usize = 16;

/// # Shapes
/// - input: `[batch, channels_in, height, width]`
/// - weight: `[channels_out, channels_in, 1, 1]`, row-major
/// - bias: `[channels_out]`
/// - output: `[batch, channels_out, height, width]`
pub fn pointwise_conv(input: &FlexTensor, weight: &[f32], bias: Option<&[f32]>, activation: Option<Activation>) -> FlexTensor {
    let [batch, channels_in, height, width] = input.layout().shape().dims();
    let channels_out = weight.len() / channels_in;
    let pixels = height * width;
    let input = values(input);
    let channel_tiles = channels_out.div_ceil(TILE_CHANNELS);
    let pixel_tiles = pixels.div_ceil(TILE_PIXELS);
    let tiles_per_image = channel_tiles * pixel_tiles;
    let tile_range = |index: usize, size: usize, end: usize| index * size..((index + 1) * size).min(end);
    new_tensor([batch, channels_out, height, width], |output| {
        let output = OutputPointer(output.as_mut_ptr().cast());
        for_each_index(batch * tiles_per_image, |index| {
            let (image, tile) = (index / tiles_per_image, index % tiles_per_image);
            let channels = tile_range(tile / pixel_tiles, TILE_CHANNELS, channels_out);
            let columns = tile_range(tile % pixel_tiles, TILE_PIXELS, pixels);
            let image_input = &input[image * channels_in * pixels..][..channels_in * pixels];
            // SAFETY: the image's output plane lies inside the output, and each task writes
            // only its own tile of it (channels × columns, rows `pixels` apart).
            let image_output = unsafe { output.add(image * channels_out * pixels) };
            let biases = bias.map(|bias| &bias[channels.clone()]);
            unsafe { compute_tile(image_input, weight, channels_in, pixels, channels, columns, biases, activation, image_output) };
        });
    })
}

/// One tile: `output[channels, columns] = activation(bias + weight[channels, :] · input[:, columns])`.
///
/// gemm (or [`narrow_tile`]) writes the tile without reading it, and the bias and activation
/// follow in one pass while the tile is in cache. (Filling the tile with the bias first, for gemm
/// to add to, was one more pass, and the first writes to fresh memory: two thirds of this
/// function's time natively, docs/PERFORMANCE.md, 28.) gemm picks its own vector width; the loop
/// after it is compiled for each x86 width here (the portable x86-64 target stops at SSE2).
///
/// # Safety
/// `output` points to a `channels_out × pixels` row-major plane that no one else reads or
/// writes inside this tile while it runs.
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
unsafe fn compute_tile(
    input: &[f32],
    weight: &[f32],
    channels_in: usize,
    pixels: usize,
    channels: Range<usize>,
    columns: Range<usize>,
    biases: Option<&[f32]>,
    activation: Option<Activation>,
    output: *mut f32,
) {
    // SAFETY (all blocks below): every pointer stays inside the tile, by the caller's contract.
    let start = unsafe { output.add(channels.start * pixels + columns.start) };
    // tile = weight[channels, :] · input[:, columns], all row-major.
    if NARROW_KERNEL && channels_in <= NARROW_CHANNELS_IN {
        unsafe { narrow_tile(input, weight, channels_in, pixels, channels.clone(), columns.clone(), output) };
    } else {
        unsafe { gemm_tile(input, weight, channels_in, pixels, channels.clone(), columns.clone(), start) };
    }
    if biases.is_none() && activation.is_none() {
        return;
    }
    let (rows, cols) = (channels.len(), columns.len());
    for row in 0..rows {
        let bias = biases.map_or(0.0, |biases| biases[row]);
        activation::add_then_apply(bias, activation, unsafe { std::slice::from_raw_parts_mut(start.add(row * pixels), cols) });
    }
}

/// The tile's product through gemm.
///
/// # Safety
/// As [`compute_tile`]'s; `start` is the tile's first output value.
#[inline(always)]
unsafe fn gemm_tile(input: &[f32], weight: &[f32], channels_in: usize, pixels: usize, channels: Range<usize>, columns: Range<usize>, start: *mut f32) {
    let (rows, cols) = (channels.len(), columns.len());
    unsafe {
        matmul(
            rows,
            cols,
            channels_in,
            Matrix::row_major(start, pixels),
            false,
            Matrix::row_major(weight[channels.start * channels_in..].as_ptr(), channels_in),
            Matrix::row_major(input[columns.start..].as_ptr(), pixels),
        );
    }
}

/// The tile's product where few input channels make each sum short: two output channels ×
/// [`NARROW_PIXELS`] pixels at a time, summed in registers over every input channel and written
/// once. Rows of the input and the output are contiguous runs of pixels, so every load and
/// store is a whole vector. gemm's 12 × 4 microkernel, called once per 48 outputs, spent more on
/// the call and on its stores than on sums of 16 products (docs/PERFORMANCE.md, 29.).
///
/// # Safety
/// As [`compute_tile`]'s: `output` is the image's output plane, rows `pixels` apart.
#[inline(always)]
unsafe fn narrow_tile(input: &[f32], weight: &[f32], channels_in: usize, pixels: usize, channels: Range<usize>, columns: Range<usize>, output: *mut f32) {
    let filter = |channel: usize| &weight[channel * channels_in..][..channels_in];
    let mut column = columns.start;
    while column + NARROW_PIXELS <= columns.end {
        let mut channel = channels.start;
        while channel + 2 <= channels.end {
            let (first, second) = two_channels(input, pixels, column, filter(channel), filter(channel + 1));
            // SAFETY: both rows' runs lie inside the tile.
            unsafe {
                std::ptr::copy_nonoverlapping(first.as_ptr(), output.add(channel * pixels + column), NARROW_PIXELS);
                std::ptr::copy_nonoverlapping(second.as_ptr(), output.add((channel + 1) * pixels + column), NARROW_PIXELS);
            }
            channel += 2;
        }
        if channel < channels.end {
            unsafe { narrow_remainder(input, filter(channel), pixels, column..column + NARROW_PIXELS, output.add(channel * pixels)) };
        }
        column += NARROW_PIXELS;
    }
    if column < columns.end {
        for channel in channels {
            unsafe { narrow_remainder(input, filter(channel), pixels, column..columns.end, output.add(channel * pixels)) };
        }
    }
}

/// `filter · input[:, column..column + NARROW_PIXELS]` for two filters, in registers.
#[inline(always)]
fn two_channels(input: &[f32], pixels: usize, column: usize, first: &[f32], second: &[f32]) -> ([f32; NARROW_PIXELS], [f32; NARROW_PIXELS]) {
    let (mut sums, mut other) = ([0.0; NARROW_PIXELS], [0.0; NARROW_PIXELS]);
    for (index, (&weight, &other_weight)) in first.iter().zip(second).enumerate() {
        let values: &[f32; NARROW_PIXELS] = input[index * pixels + column..][..NARROW_PIXELS].try_into().expect("a run of NARROW_PIXELS");
        for ((sum, other), &value) in sums.iter_mut().zip(&mut other).zip(values) {
            *sum += weight * value;
            *other += other_weight * value;
        }
    }
    (sums, other)
}

/// One output channel's `columns`, one value at a time: the edges of a tile.
///
/// # Safety
/// `row` is that channel's output row, and `columns` lie inside the tile.
#[inline(always)]
unsafe fn narrow_remainder(input: &[f32], filter: &[f32], pixels: usize, columns: Range<usize>, row: *mut f32) {
    for column in columns {
        let sum = filter.iter().enumerate().map(|(index, &weight)| weight * input[index * pixels + column]).sum();
        unsafe { row.add(column).write(sum) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WebAssembly's narrow kernel against gemm, natively, on tiles with edges on both axes.
    #[test]
    fn the_narrow_kernel_matches_gemm() {
        let (channels_in, pixels, channels_out) = (24, 16 * 5 + 7, 9);
        let input: Vec<f32> = (0..channels_in * pixels).map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0).collect();
        let weight: Vec<f32> = (0..channels_out * channels_in).map(|i| ((i * 53 % 89) as f32 - 44.0) / 40.0).collect();
        for (channels, columns) in [(0..channels_out, 0..pixels), (3..8, 5..pixels - 2), (1..2, 16..32)] {
            let (mut narrow, mut gemm) = (vec![f32::NAN; channels_out * pixels], vec![f32::NAN; channels_out * pixels]);
            unsafe {
                narrow_tile(&input, &weight, channels_in, pixels, channels.clone(), columns.clone(), narrow.as_mut_ptr());
                gemm_tile(&input, &weight, channels_in, pixels, channels.clone(), columns.clone(), gemm.as_mut_ptr().add(channels.start * pixels + columns.start));
            }
            for (index, (got, want)) in narrow.iter().zip(&gemm).enumerate() {
                let inside = channels.contains(&(index / pixels)) && columns.contains(&(index % pixels));
                if inside {
                    assert!((got - want).abs() <= 1e-4 * want.abs().max(1.0), "{channels:?} {columns:?} at {index}: {got} != {want}");
                } else {
                    assert!(got.is_nan(), "{channels:?} {columns:?}: {index} outside the tile was written");
                }
            }
        }
    }
}
