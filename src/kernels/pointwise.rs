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
/// gemm writes the tile without reading it, and the bias and activation follow in one pass while
/// the tile is in cache. (Filling the tile with the bias first, for gemm to add to, was one more
/// pass, and the first writes to fresh memory: two thirds of this function's time natively,
/// docs/PERFORMANCE.md, 28.) gemm picks its own vector width; the loop after it is compiled for
/// each x86 width here (the portable x86-64 target stops at SSE2).
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
    let (rows, cols) = (channels.len(), columns.len());
    // tile = weight[channels, :] · input[:, columns], all row-major.
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
    if biases.is_none() && activation.is_none() {
        return;
    }
    for row in 0..rows {
        let bias = biases.map_or(0.0, |biases| biases[row]);
        activation::add_then_apply(bias, activation, unsafe { std::slice::from_raw_parts_mut(start.add(row * pixels), cols) });
    }
}
