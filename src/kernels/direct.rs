//! Direct convolution with its bias and activation, for convolutions that read few input
//! channels per output channel: the depthwise ones (one) and the stem (three, the colours).
//! burn's `flex` runs their strided cases as scalar code; here each block of consecutive outputs
//! is summed over every kernel tap in vector registers.

use std::cell::RefCell;
use std::mem::MaybeUninit;

use burn_flex::FlexTensor;
use multiversion::multiversion;

use crate::parallel::for_each_chunk;
use super::{activation, new_tensor, values};
use crate::activation::Activation;

/// Most input channels per group that this kernel takes; wider convolutions are matrix products.
pub const MAX_GROUP_CHANNELS: usize = 4;
/// Largest stride this kernel takes (EfficientNet's): its phase planes are split for 1 and 2.
pub const MAX_STRIDE: usize = 2;
/// Output elements per task at least: a 7×7 plane alone is too little work to schedule.
const MIN_TASK_ELEMENTS: usize = 4096;
/// Tasks that the output channels of one group are split into, at least where they can be.
const GROUP_SPLITS: usize = 4;
/// Accumulator values per band of output rows: 16 KiB, where the band's sums wait in the L1
/// cache for their activation and their copy into the output.
const ACCUMULATOR_ELEMENTS: usize = 4096;
/// Consecutive outputs summed together over every kernel tap, held in vector registers
/// meanwhile. Adding one tap at a time to an accumulator in memory instead loads and stores
/// every sum once per tap, which bound the kernel (a fifth of the page's forward pass before).
/// Each register is a chain of dependent adds, so a block needs more registers than an add's
/// latency in cycles to keep the adders busy: 8 WebAssembly vectors, and natively 8 AVX2 or 4
/// AVX-512 ones (2 AVX-512 vectors left this kernel waiting on its adds, docs/PERFORMANCE.md,
/// 28.). WebAssembly has 16 vector registers on x86, so no more there.
const BLOCK: usize = if cfg!(target_arch = "wasm32") { 32 } else { 64 };

/// Where each output pixel reads, with TensorFlow's "same" padding as burn's
/// `PaddingConfig2d::Same` computes it: `ceil(size / stride)` outputs, the odd padding pixel at
/// the bottom and right.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geometry {
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub kernel: usize,
    pub stride: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

impl Geometry {
    pub fn same(in_h: usize, in_w: usize, kernel: usize, stride: usize) -> Self {
        let (out_h, out_w) = (in_h.div_ceil(stride), in_w.div_ceil(stride));
        let begin = |size_in: usize, size_out: usize| ((size_out - 1) * stride + kernel).saturating_sub(size_in) / 2;
        Self { in_h, in_w, out_h, out_w, kernel, stride, pad_top: begin(in_h, out_h), pad_left: begin(in_w, out_w) }
    }

    pub(super) fn phase_plane(&self) -> PhasePlane {
        // A tap moves at most `reach` phase rows and columns from the output pixel; one spare
        // row keeps the last band's reads inside the plane, and a block that starts in a band's
        // last row reads at most `BLOCK` values past the rows.
        let reach = (self.kernel - 1) / self.stride;
        let (rows, row_len) = (self.out_h + reach + 1, self.out_w + reach);
        PhasePlane { rows, row_len, len: rows * row_len + BLOCK }
    }

    /// Where the tap `(kh, kw)` on input channel `channel` of a group reads in the group's phase
    /// planes ([`split_into_phases`]), relative to the output pixel's own phase position.
    pub(super) fn tap_offset(&self, channel: usize, kh: usize, kw: usize) -> usize {
        let (stride, phase) = (self.stride, self.phase_plane());
        let phase_index = (channel * stride + kh % stride) * stride + kw % stride;
        phase_index * phase.len + kh / stride * phase.row_len + kw / stride
    }
}

/// The size of a phase plane ([`output_planes`]): `rows × row_len` values, then [`BLOCK`] zeros.
pub(super) struct PhasePlane {
    pub rows: usize,
    pub row_len: usize,
    pub len: usize,
}

/// # Shapes
/// - input: `[batch, channels_in, height, width]`
/// - weight: `[channels_out, channels_in / groups, kernel, kernel]`, row-major, with
///   `channels_in / groups` ≤ [`MAX_GROUP_CHANNELS`]
/// - bias: `[channels_out]`
/// - output: `[batch, channels_out, ceil(height / stride), ceil(width / stride)]`
pub fn direct_conv(
    input: &FlexTensor,
    weight: &[f32],
    bias: Option<&[f32]>,
    [channels_out, group_channels, kernel, _]: [usize; 4],
    stride: usize,
    activation: Option<Activation>,
) -> FlexTensor {
    let [batch, channels_in, in_h, in_w] = input.layout().shape().dims();
    let geometry = Geometry::same(in_h, in_w, kernel, stride);
    let input = values(input);
    let (in_plane, out_plane) = (in_h * in_w, geometry.out_h * geometry.out_w);
    let outputs_per_group = channels_out / (channels_in / group_channels);
    // A task takes output channels of one group, which all read the same input planes: it
    // splits those into phases once. The stem's one group of 32 channels still makes a few
    // tasks, so that the cores share it at batch 1. Tasks must not straddle groups, so their
    // size divides the group's.
    let channels_per_task = (1..=outputs_per_group / GROUP_SPLITS)
        .rev()
        .find(|&size| outputs_per_group % size == 0)
        .unwrap_or(1);
    let filter_len = group_channels * kernel * kernel;
    let tasks_per_chunk = MIN_TASK_ELEMENTS.div_ceil(channels_per_task * out_plane);
    new_tensor([batch, channels_out, geometry.out_h, geometry.out_w], |output| {
        for_each_chunk(output, channels_per_task * out_plane, tasks_per_chunk, |task, output| {
            let tasks_per_group = outputs_per_group.div_ceil(channels_per_task);
            let (image_group, part) = (task / tasks_per_group, task % tasks_per_group);
            let (image, group) = (image_group / (channels_in / group_channels), image_group % (channels_in / group_channels));
            let first_channel = group * outputs_per_group + part * channels_per_task;
            let input = &input[(image * channels_in + group * group_channels) * in_plane..][..group_channels * in_plane];
            let channels = first_channel..first_channel + output.len() / out_plane;
            let filters = &weight[channels.start * filter_len..channels.end * filter_len];
            let biases = channels.map(|channel| bias.map_or(0.0, |bias| bias[channel]));
            SCRATCH.with_borrow_mut(|scratch| {
                output_planes(input, filters, biases, &geometry, activation, output, scratch)
            });
        })
    })
}

thread_local! {
    /// [`output_planes`]' buffers, reused from task to task: allocating in every task would take
    /// the allocator's lock, which the pool's threads share in WebAssembly.
    static SCRATCH: RefCell<Scratch> = const { RefCell::new(Scratch { values: Vec::new(), taps: Vec::new() }) };
}

struct Scratch {
    /// The phase planes, the accumulator and a padded input row.
    values: Vec<f32>,
    /// Each tap as where it reads, relative to the output's own phase position, and its weight.
    taps: Vec<(usize, f32)>,
}

/// Output channels that read the same input planes:
/// `output[c] = activation(bias[c] + Σ conv(input plane, filter[c] plane))`, every output value
/// written.
///
/// The inputs are first copied, zero-padded, into `stride × stride` phase planes (phase `(a, b)`
/// holds padded pixels `(stride·i + a, stride·j + b)`). Every kernel tap then reads one phase
/// plane at a fixed offset, so a run of consecutive outputs, as long as a band of output rows,
/// reads a run of consecutive values for each tap, which the compiler vectorises whatever the
/// plane's width. The accumulator rows are as wide as a phase row; the columns past `out_w`, and
/// the last block's values past the band, are scratch.
///
/// Compiled for each x86 vector width too: the portable x86-64 target stops at SSE2.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn output_planes(
    input: &[f32],
    filters: &[f32],
    biases: impl Iterator<Item = f32>,
    geometry: &Geometry,
    activation: Option<Activation>,
    output: &mut [MaybeUninit<f32>],
    scratch: &mut Scratch,
) {
    let &Geometry { in_h, in_w, out_h, out_w, kernel, stride, .. } = geometry;
    let group_channels = input.len() / (in_h * in_w);
    let PhasePlane { rows: _, row_len: phase_w, len: phase_len } = geometry.phase_plane();
    let phases_len = group_channels * stride * stride * phase_len;
    let band_rows = (ACCUMULATOR_ELEMENTS / phase_w).max(1);
    let accumulator_len = (band_rows * phase_w).next_multiple_of(BLOCK);
    let Scratch { values, taps } = scratch;
    values.resize(phases_len + accumulator_len + stride * phase_w, 0.0);
    let (phases, rest) = values.split_at_mut(phases_len);
    let (accumulator, padded_row) = rest.split_at_mut(accumulator_len);

    split_into_phases(input, geometry, phases, padded_row);

    let filter_len = group_channels * kernel * kernel;
    let planes = output.chunks_exact_mut(out_h * out_w).zip(filters.chunks_exact(filter_len)).zip(biases);
    for ((output, filter), bias) in planes {
        taps.clear();
        for channel in 0..group_channels {
            for kh in 0..kernel {
                for kw in 0..kernel {
                    taps.push((geometry.tap_offset(channel, kh, kw), filter[(channel * kernel + kh) * kernel + kw]));
                }
            }
        }
        for band_start in (0..out_h).step_by(band_rows) {
            let rows = band_rows.min(out_h - band_start);
            let band = &mut accumulator[..(rows * phase_w).next_multiple_of(BLOCK)];
            for (index, sums) in band.chunks_exact_mut(BLOCK).enumerate() {
                let start = band_start * phase_w + index * BLOCK;
                sum_block(phases, taps, start, bias, sums.try_into().expect("chunks of BLOCK"));
            }
            // The whole band at once: activating row by row on the way out ran rows of 7, 14 or
            // 28 values mostly through scalar tail loops, a sixth of this kernel's time natively.
            if let Some(activation) = activation {
                activation::apply(activation, band);
            }
            let rows = output[band_start * out_w..][..rows * out_w].chunks_exact_mut(out_w);
            for (row, sums) in rows.zip(band.chunks_exact(phase_w)) {
                row.write_copy_of_slice(&sums[..out_w]);
            }
        }
    }
}

/// Copies the input planes into their phase planes, one after another: for each input channel
/// and row phase, its `stride` column phases. Each input row is copied into `padded_row`
/// (`stride × phase_w` values, its padding zeroed once here) and then split among the column
/// phases, a vectorised deinterleave at stride 2: copying every second value straight from the
/// input ran as scalar code in WebAssembly. Natively, stride-1 rows go straight into their phase
/// plane with its padding zeroed around them, one copy instead of two (docs/PERFORMANCE.md,
/// 28.); in WebAssembly that left V8 running the page's first ~2 s of passes at half speed (22.).
///
/// Natively inlined into its callers, so that it is compiled for their x86 width.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(super) fn split_into_phases(input: &[f32], geometry: &Geometry, phases: &mut [f32], padded_row: &mut [f32]) {
    let &Geometry { in_h, in_w, stride, pad_top, pad_left, .. } = geometry;
    let PhasePlane { rows: phase_h, row_len: phase_w, len: phase_len } = geometry.phase_plane();
    // Padded columns `pad_left..end` hold the input row; the rest stay zero.
    let end = (pad_left + in_w).min(padded_row.len());
    padded_row.fill(0.0);
    for (index, planes) in phases.chunks_exact_mut(stride * phase_len).enumerate() {
        let (channel, row_phase) = (index / stride, index % stride);
        let input = &input[channel * (in_h * in_w)..][..in_h * in_w];
        for i in 0..phase_h {
            let row = i * phase_w;
            let Some(ih) = (stride * i + row_phase).checked_sub(pad_top).filter(|&ih| ih < in_h) else {
                planes.chunks_exact_mut(phase_len).for_each(|plane| plane[row..][..phase_w].fill(0.0));
                continue;
            };
            let input_row = &input[ih * in_w..][..end - pad_left];
            match stride {
                1 if !cfg!(target_arch = "wasm32") => {
                    let plane_row = &mut planes[row..][..phase_w];
                    plane_row[..pad_left].fill(0.0);
                    plane_row[pad_left..end].copy_from_slice(input_row);
                    plane_row[end..].fill(0.0);
                }
                1 => {
                    padded_row[pad_left..end].copy_from_slice(input_row);
                    planes[row..][..phase_w].copy_from_slice(padded_row);
                }
                2 => {
                    padded_row[pad_left..end].copy_from_slice(input_row);
                    let (even, odd) = planes.split_at_mut(phase_len);
                    let rows = even[row..][..phase_w].iter_mut().zip(&mut odd[row..][..phase_w]);
                    for ((even, odd), pair) in rows.zip(padded_row.chunks_exact(2)) {
                        (*even, *odd) = (pair[0], pair[1]);
                    }
                }
                _ => unreachable!("fused_conv takes strides up to MAX_STRIDE only"),
            }
        }
        planes.chunks_exact_mut(phase_len).for_each(|plane| plane[phase_h * phase_w..].fill(0.0));
    }
}

/// `sums[i] = bias + Σ weight · phases[offset + start + i]` over the taps, for one block of
/// outputs: the sums stay in registers from the first tap to the last. The block is two halves
/// because the compiler keeps an array of 32 values in registers, but not one of 64.
#[inline(always)]
fn sum_block(phases: &[f32], taps: &[(usize, f32)], start: usize, bias: f32, sums: &mut [f32; BLOCK]) {
    const HALF: usize = BLOCK / 2;
    let (mut low, mut high) = ([bias; HALF], [bias; HALF]);
    for &(offset, weight) in taps {
        let values: &[f32; BLOCK] = phases[start + offset..][..BLOCK].try_into().expect("a slice of BLOCK");
        let (low_values, high_values) = values.split_at(HALF);
        for (sum, &value) in low.iter_mut().zip(low_values) {
            *sum += weight * value;
        }
        for (sum, &value) in high.iter_mut().zip(high_values) {
            *sum += weight * value;
        }
    }
    sums[..HALF].copy_from_slice(&low);
    sums[HALF..].copy_from_slice(&high);
}
