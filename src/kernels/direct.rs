//! Direct convolution with its bias and activation, for convolutions that read few input
//! channels per output channel: the depthwise ones (one) and the stem (three, the colours).
//! burn's `flex` runs their strided cases as scalar code; here every kernel tap is one vectorised
//! multiply-add over a band of output rows.

use std::cell::RefCell;
use std::mem::MaybeUninit;

use burn_flex::FlexTensor;
use multiversion::multiversion;

use crate::parallel::for_each_chunk;
use super::{activation, new_tensor, values};
use crate::model::Activation;

/// Most input channels per group that this kernel takes; wider convolutions are matrix products.
pub const MAX_GROUP_CHANNELS: usize = 4;
/// Output elements per task at least: a 7×7 plane alone is too little work to schedule.
const MIN_TASK_ELEMENTS: usize = 4096;
/// Tasks that the output channels of one group are split into, at least where they can be.
const GROUP_SPLITS: usize = 4;
/// Accumulator values per band of output rows: 16 KiB, which stays in the L1 cache while every
/// kernel tap adds to it.
const ACCUMULATOR_ELEMENTS: usize = 4096;

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
    /// [`output_planes`]' phase planes and accumulator, reused from task to task.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Output channels that read the same input planes:
/// `output[c] = activation(bias[c] + Σ conv(input plane, filter[c] plane))`, every output value
/// written.
///
/// The inputs are first copied, zero-padded, into `stride × stride` phase planes (phase `(a, b)`
/// holds padded pixels `(stride·i + a, stride·j + b)`). Every kernel tap then reads one phase
/// plane at a fixed offset, so it becomes a single multiply-add over a run of consecutive values
/// as long as a band of output rows, which the compiler vectorises whatever the plane's width.
/// The accumulator rows are as wide as a phase row; the columns past `out_w` are scratch.
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
    scratch: &mut Vec<f32>,
) {
    let &Geometry { in_h, in_w, out_h, out_w, kernel, stride, pad_top, pad_left } = geometry;
    let in_plane = in_h * in_w;
    let group_channels = input.len() / in_plane;
    // A tap moves at most `reach` phase rows and columns from the output pixel; one spare row
    // keeps the last band's reads inside the plane.
    let reach = (kernel - 1) / stride;
    let (phase_h, phase_w) = (out_h + reach + 1, out_w + reach);
    let phase_len = phase_h * phase_w;
    let phases_len = group_channels * stride * stride * phase_len;
    let band_rows = (ACCUMULATOR_ELEMENTS / phase_w).max(1);
    scratch.resize(phases_len + band_rows * phase_w, 0.0);
    let (phases, accumulator) = scratch.split_at_mut(phases_len);

    for (phase_index, phase) in phases.chunks_exact_mut(phase_len).enumerate() {
        let (channel, row_phase, column_phase) =
            (phase_index / (stride * stride), phase_index / stride % stride, phase_index % stride);
        let input = &input[channel * in_plane..][..in_plane];
        // Phase columns `j` in `first..last` read input column `stride·j + column_phase - pad_left`.
        let first = pad_left.saturating_sub(column_phase).div_ceil(stride).min(phase_w);
        let last = (in_w + pad_left).saturating_sub(column_phase).div_ceil(stride).clamp(first, phase_w);
        for (i, row) in phase.chunks_exact_mut(phase_w).enumerate() {
            let Some(ih) = (stride * i + row_phase).checked_sub(pad_top).filter(|&ih| ih < in_h) else {
                row.fill(0.0);
                continue;
            };
            let source = &input[ih * in_w..][..in_w];
            row[..first].fill(0.0);
            row[last..].fill(0.0);
            let source = &source[stride * first + column_phase - pad_left..];
            if stride == 1 {
                row[first..last].copy_from_slice(&source[..last - first]);
            } else {
                for (value, &pixel) in row[first..last].iter_mut().zip(source.iter().step_by(stride)) {
                    *value = pixel;
                }
            }
        }
    }

    let filter_len = group_channels * kernel * kernel;
    let planes = output.chunks_exact_mut(out_h * out_w).zip(filters.chunks_exact(filter_len)).zip(biases);
    for ((output, filter), bias) in planes {
        for band_start in (0..out_h).step_by(band_rows) {
            let rows = band_rows.min(out_h - band_start);
            let accumulator = &mut accumulator[..rows * phase_w];
            accumulator.fill(bias);
            for channel in 0..group_channels {
                for kh in 0..kernel {
                    for kw in 0..kernel {
                        let phase_index = (channel * stride + kh % stride) * stride + kw % stride;
                        let phase = &phases[phase_index * phase_len..][..phase_len];
                        let taps = &phase[(band_start + kh / stride) * phase_w + kw / stride..][..accumulator.len()];
                        let weight = filter[(channel * kernel + kh) * kernel + kw];
                        for (sum, &tap) in accumulator.iter_mut().zip(taps) {
                            *sum += weight * tap;
                        }
                    }
                }
            }
            let rows = output[band_start * out_w..].chunks_exact_mut(out_w);
            for (row, sums) in rows.zip(accumulator.chunks_exact_mut(phase_w)) {
                let sums = &mut sums[..out_w];
                if let Some(activation) = activation {
                    activation::apply(activation, sums);
                }
                row.write_copy_of_slice(sums);
            }
        }
    }
}
