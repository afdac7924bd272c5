//! Depthwise convolutions (one input channel per output channel, odd square kernel, equal
//! strides of 1 or 2, "same" padding, no bias) with their gradients.
//!
//! burn computes their input gradient as a transposed convolution and their weight gradient one
//! group at a time over permuted copies of the input and gradient: together about a quarter of a
//! fine-tuning step once the 1×1 convolutions had their own kernels. Here the forward pass and
//! the input gradient are the inference kernel ([`direct`](crate::kernels::direct)); the weight
//! gradient reads the phase planes that kernel splits its input into, plane by plane on every
//! core.

use std::cell::RefCell;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, Flex};
use burn::tensor::{Bytes, DType, Tensor};
use burn_flex::{FlexTensor, Layout};
use multiversion::multiversion;

use super::{Checkpointing, autodiff_flex_f32, contiguous, lane_sum};
use crate::kernels::direct::{self, Geometry, PhasePlane};
use crate::kernels::values;
use crate::parallel::for_each_chunk;

/// Values per task at least: a 7×7 plane alone is too little work to schedule.
const MIN_TASK_ELEMENTS: usize = 4096;

/// `conv(input)` for a depthwise convolution of `weight` with `stride` (1 or 2) under autodiff on
/// `flex`; hands `input` back when either is elsewhere, the stride is another or the kernel is
/// even (whose "same" padding is lopsided, so that turning the filter does not give the input's
/// gradient).
///
/// # Shapes
/// - input: `[batch, channels, height, width]`
/// - weight: `[channels, 1, kernel, kernel]`
/// - output: `[batch, channels, ceil(height / stride), ceil(width / stride)]`
pub fn depthwise_conv(input: Tensor<4>, weight: Tensor<4>, stride: usize) -> Result<Tensor<4>, Tensor<4>> {
    if !matches!(stride, 1 | 2) || weight.dims()[2].is_multiple_of(2) {
        return Err(input);
    }
    let Ok(weight) = autodiff_flex_f32(weight) else { return Err(input) };
    let input = autodiff_flex_f32(input)?;
    let prepared = DepthwiseStep { stride }.prepare::<Checkpointing>([input.node(), weight.node()]).compute_bound().stateful();
    let (input, weight) = (contiguous(input.into_primitive()), contiguous(weight.into_primitive()));
    let weight_shape = weight.layout().shape().dims();
    let output = direct::direct_conv(&input, &values(&weight), None, weight_shape, stride, None);
    let output = match prepared {
        OpsKind::Tracked(prepared) => prepared.finish((input, weight), output),
        OpsKind::UnTracked(prepared) => prepared.finish(output),
    };
    Ok(Tensor::from_primitive::<Autodiff<Flex>>(output))
}

/// The backward step; its state is the forward pass's input and weight.
#[derive(Debug)]
struct DepthwiseStep {
    stride: usize,
}

impl Backward<Flex, 2> for DepthwiseStep {
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input_parent, weight_parent] = ops.parents;
        let grad = contiguous(grads.consume::<Flex>(&ops.node));
        let (input, weight) = ops.state;
        let [_, _, in_h, in_w] = input.layout().shape().dims();
        let kernel = weight.layout().shape().dims::<4>()[2];
        let geometry = Geometry::same(in_h, in_w, kernel, self.stride);
        if let Some(parent) = weight_parent {
            grads.register::<Flex>(parent.id, weight_gradient(&input, &grad, &geometry));
        }
        if let Some(parent) = input_parent {
            grads.register::<Flex>(parent.id, input_gradient(&weight, grad, &geometry));
        }
    }
}

/// `∂input`: a stride-1 "same" convolution of the output's gradient with each filter turned by
/// 180°, which the inference kernel ([`direct`]) computes. At stride 2 the gradient is first
/// spread onto the input's grid ([`spread_onto_input`]): four times the multiply-adds of
/// visiting only the pixels a tap reads, but vector code where those loops scattered one value
/// at a time.
///
/// # Shapes
/// - weight: `[channels, 1, kernel, kernel]`
/// - grad: `[batch, channels, out_h, out_w]`
/// - output: `[batch, channels, in_h, in_w]`
fn input_gradient(weight: &FlexTensor, grad: FlexTensor, geometry: &Geometry) -> FlexTensor {
    let taps = geometry.kernel * geometry.kernel;
    let turned: Vec<f32> = values(weight).chunks_exact(taps).flat_map(|filter| filter.iter().rev().copied()).collect();
    let grad = match geometry.stride {
        1 => grad,
        _ => spread_onto_input(&grad, geometry),
    };
    let channels = turned.len() / taps;
    direct::direct_conv(&grad, &turned, None, [channels, 1, geometry.kernel, geometry.kernel], 1, None)
}

/// A stride-2 output gradient on the input's grid, zeros between: `grad[r][c]` at input pixel
/// `(2r + shift_h, 2c + shift_w)`, where `shift` moves the stride-2 padding to the stride-1
/// padding (`(kernel − 1) / 2` on each side) that [`input_gradient`]'s convolution has. Every
/// gradient value lands inside the input: `2·(out − 1) + shift < in`.
///
/// # Shapes
/// - grad: `[batch, channels, out_h, out_w]`
/// - output: `[batch, channels, in_h, in_w]`
fn spread_onto_input(grad: &FlexTensor, geometry: &Geometry) -> FlexTensor {
    let [batch, channels, _, _] = grad.layout().shape().dims();
    let grad = values(grad);
    let &Geometry { in_h, in_w, out_h, out_w, kernel, pad_top, pad_left, .. } = geometry;
    let (shift_h, shift_w) = ((kernel - 1) / 2 - pad_top, (kernel - 1) / 2 - pad_left);
    let (in_plane, out_plane) = (in_h * in_w, out_h * out_w);
    let mut spread = vec![0.0f32; batch * channels * in_plane];
    for_each_chunk(&mut spread, in_plane, MIN_TASK_ELEMENTS.div_ceil(in_plane), |plane, spread| {
        let grad_rows = grad[plane * out_plane..][..out_plane].chunks_exact(out_w);
        // Pairs of input rows, the last one alone where `in_h` is odd.
        for (spread_row, grad_row) in spread.chunks_mut(2 * in_w).zip(grad_rows) {
            spread_row[shift_h * in_w + shift_w..].iter_mut().step_by(2).zip(grad_row).for_each(|(to, &value)| *to = value);
        }
    });
    FlexTensor::new(Bytes::from_elems(spread), Layout::contiguous([batch, channels, in_h, in_w].into()), DType::F32)
}

/// `∂weight`: for each tap, Σ over images and output pixels of the pixel's gradient times the
/// input pixel the tap read. One task per channel (or several): it sums over every image.
///
/// # Shapes
/// - input: `[batch, channels, in_h, in_w]`
/// - grad: `[batch, channels, out_h, out_w]`
/// - output: `[channels, 1, kernel, kernel]`
fn weight_gradient(input: &FlexTensor, grad: &FlexTensor, geometry: &Geometry) -> FlexTensor {
    let [batch, channels, _, _] = grad.layout().shape().dims();
    let (input, grad) = (values(input), values(grad));
    let &Geometry { in_h, in_w, out_h, out_w, kernel, .. } = geometry;
    let (in_plane, out_plane) = (in_h * in_w, out_h * out_w);
    let mut weight_grad = vec![0.0f32; channels * kernel * kernel];
    let min_channels = MIN_TASK_ELEMENTS.div_ceil(batch * out_plane * kernel * kernel);
    for_each_chunk(&mut weight_grad, kernel * kernel, min_channels, |channel, taps| {
        SCRATCH.with_borrow_mut(|scratch| {
            for image in 0..batch {
                let plane = image * channels + channel;
                let (input, grad) = (&input[plane * in_plane..][..in_plane], &grad[plane * out_plane..][..out_plane]);
                plane_weight_gradient(input, grad, geometry, taps, scratch);
            }
        });
    });
    FlexTensor::new(Bytes::from_elems(weight_grad), Layout::contiguous([channels, 1, kernel, kernel].into()), DType::F32)
}

thread_local! {
    /// [`plane_weight_gradient`]'s buffers, reused from plane to plane.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// One image's share of one channel's [`weight_gradient`], added into `taps`.
///
/// The input plane is split into the inference kernel's phase planes, where every tap reads the
/// pixels of consecutive outputs at consecutive places, and the gradient is laid out in rows as
/// long as a phase row, zeros past `out_w`. Each tap's share is then one dot product of the two
/// over the whole plane, summed in vector registers: row by row, planes 7 or 14 pixels wide spent
/// their time adding up short rows.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn plane_weight_gradient(input: &[f32], grad: &[f32], geometry: &Geometry, taps: &mut [f32], scratch: &mut Vec<f32>) {
    let &Geometry { out_h, out_w, kernel, stride, .. } = geometry;
    let PhasePlane { row_len: phase_w, len: phase_len, .. } = geometry.phase_plane();
    let (phases_len, grad_len) = (stride * stride * phase_len, out_h * phase_w);
    scratch.resize(phases_len + stride * phase_w + grad_len, 0.0);
    let (phases, rest) = scratch.split_at_mut(phases_len);
    let (padded_row, padded_grad) = rest.split_at_mut(stride * phase_w);
    direct::split_into_phases(input, geometry, phases, padded_row);
    for (to, grad_row) in padded_grad.chunks_exact_mut(phase_w).zip(grad.chunks_exact(out_w)) {
        let (row, past) = to.split_at_mut(out_w);
        row.copy_from_slice(grad_row);
        past.fill(0.0);
    }
    for (tap, sum) in taps.iter_mut().enumerate() {
        let read = &phases[geometry.tap_offset(0, tap / kernel, tap % kernel)..][..grad_len];
        *sum += lane_sum(padded_grad, read, |g, x| g * x);
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::ops::ConvOptions;
    use burn::tensor::{Device, Distribution};

    use super::*;
    use crate::kernels::tracked::test_support::{assert_conv_close, conv_output_and_gradients};

    #[test]
    fn output_and_gradients_match_burns_convolution() {
        let device = Device::flex().autodiff();
        for (kernel, stride, height, width) in [(3, 1, 9, 7), (3, 2, 10, 10), (3, 2, 9, 11), (5, 1, 6, 13), (5, 2, 14, 14), (5, 2, 7, 7), (3, 2, 1, 2), (5, 1, 2, 1)] {
            let (batch, channels) = (2, 3);
            let geometry = Geometry::same(height, width, kernel, stride);
            let input = Tensor::<4>::random([batch, channels, height, width], Distribution::Normal(0.0, 1.0), &device);
            let weight = Tensor::<4>::random([channels, 1, kernel, kernel], Distribution::Normal(0.0, 1.0), &device);
            let weights = Tensor::<4>::random([batch, channels, geometry.out_h, geometry.out_w], Distribution::Normal(0.0, 1.0), &device);
            let ours = conv_output_and_gradients(|x, w| depthwise_conv(x, w, stride).expect("autodiff flex f32"), &input, &weight, &weights);
            // burn's "same" padding: begin as the kernel computes it, the rest at the end.
            let pad = |size_in: usize, size_out: usize, begin: usize| {
                (begin, ((size_out - 1) * stride + kernel).saturating_sub(size_in) - begin)
            };
            let padding = [pad(height, geometry.out_h, geometry.pad_top), pad(width, geometry.out_w, geometry.pad_left)];
            let options = ConvOptions::new_with_padding([stride, stride], padding, [1, 1], channels);
            let burns = conv_output_and_gradients(|x, w| burn::tensor::module::conv2d(x, w, None, options.clone()), &input, &weight, &weights);
            let weight_terms = batch * geometry.out_h * geometry.out_w;
            assert_conv_close(&ours, &burns, weight_terms, &format!("kernel {kernel}, stride {stride}, {height}×{width}"));
        }
    }

    #[test]
    fn other_strides_and_even_kernels_are_handed_back() {
        let device = Device::flex().autodiff();
        assert!(depthwise_conv(Tensor::ones([1, 2, 6, 6], &device), Tensor::ones([2, 1, 3, 3], &device), 3).is_err());
        assert!(depthwise_conv(Tensor::ones([1, 2, 6, 6], &device), Tensor::ones([2, 1, 4, 4], &device), 1).is_err());
    }
}
