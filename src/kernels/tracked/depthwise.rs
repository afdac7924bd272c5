//! Depthwise convolutions (one input channel per output channel, square kernel, equal strides of
//! 1 or 2, "same" padding, no bias) with their gradients as direct loops over each plane.
//!
//! burn computes their input gradient as a transposed convolution and their weight gradient one
//! group at a time over permuted copies of the input and gradient: together about a quarter of a
//! fine-tuning step once the 1×1 convolutions had their own kernels. Here the forward pass is
//! the inference kernel ([`direct`](crate::kernels::direct)); the gradients run plane by plane
//! (on every core), each kernel tap a multiply-add over every output row of the plane,
//! vectorised where the stride is 1.

use std::ops::Range;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, Flex};
use burn::tensor::{Bytes, DType, Tensor};
use burn_flex::{FlexTensor, Layout};
use multiversion::multiversion;

use super::{Checkpointing, autodiff_flex_f32, contiguous, lane_sum};
use crate::kernels::direct::{self, Geometry};
use crate::kernels::values;
use crate::parallel::for_each_chunk;

/// Values per task at least: a 7×7 plane alone is too little work to schedule.
const MIN_TASK_ELEMENTS: usize = 4096;

/// `conv(input)` for a depthwise convolution of `weight` with `stride` (1 or 2) under autodiff on
/// `flex`; hands `input` back when either is elsewhere or the stride is another.
///
/// # Shapes
/// - input: `[batch, channels, height, width]`
/// - weight: `[channels, 1, kernel, kernel]`
/// - output: `[batch, channels, ceil(height / stride), ceil(width / stride)]`
pub fn depthwise_conv(input: Tensor<4>, weight: Tensor<4>, stride: usize) -> Result<Tensor<4>, Tensor<4>> {
    if !matches!(stride, 1 | 2) {
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
            grads.register::<Flex>(parent.id, input_gradient(&weight, &grad, &geometry));
        }
    }
}

/// `∂input`: each output pixel's gradient, times each tap's weight, added to the input pixel the
/// tap read. One task per input plane (or several small planes).
///
/// # Shapes
/// - weight: `[channels, 1, kernel, kernel]`
/// - grad: `[batch, channels, out_h, out_w]`
/// - output: `[batch, channels, in_h, in_w]`
fn input_gradient(weight: &FlexTensor, grad: &FlexTensor, geometry: &Geometry) -> FlexTensor {
    let [batch, channels, _, _] = grad.layout().shape().dims();
    let (weight, grad) = (values(weight), values(grad));
    let &Geometry { in_h, in_w, out_h, out_w, kernel, .. } = geometry;
    let (in_plane, out_plane) = (in_h * in_w, out_h * out_w);
    let mut input_grad = vec![0.0f32; batch * channels * in_plane];
    for_each_chunk(&mut input_grad, in_plane, MIN_TASK_ELEMENTS.div_ceil(in_plane), |plane, input_grad| {
        let filter = &weight[plane % channels * kernel * kernel..][..kernel * kernel];
        plane_input_gradient(filter, &grad[plane * out_plane..][..out_plane], geometry, input_grad);
    });
    let shape = [batch, channels, in_h, in_w];
    FlexTensor::new(Bytes::from_elems(input_grad), Layout::contiguous(shape.into()), DType::F32)
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
        for image in 0..batch {
            let plane = image * channels + channel;
            plane_weight_gradient(&input[plane * in_plane..][..in_plane], &grad[plane * out_plane..][..out_plane], geometry, taps);
        }
    });
    FlexTensor::new(Bytes::from_elems(weight_grad), Layout::contiguous([channels, 1, kernel, kernel].into()), DType::F32)
}

/// Output positions along one axis whose tap at `offset` reads inside the input: the tap of
/// output `o` reads input `o·stride + offset − pad`.
fn reading_inside(offset: usize, pad: usize, size_in: usize, size_out: usize, stride: usize) -> Range<usize> {
    let first = pad.saturating_sub(offset).div_ceil(stride);
    let end = (size_in + pad).saturating_sub(offset).div_ceil(stride).min(size_out);
    first..end.max(first)
}

/// One plane of [`input_gradient`], added into `input_grad` (zeroed by the caller).
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn plane_input_gradient(filter: &[f32], grad: &[f32], geometry: &Geometry, input_grad: &mut [f32]) {
    let &Geometry { in_h, in_w, out_h, out_w, kernel, stride, pad_top, pad_left } = geometry;
    for kh in 0..kernel {
        for kw in 0..kernel {
            let weight = filter[kh * kernel + kw];
            let columns = reading_inside(kw, pad_left, in_w, out_w, stride);
            if columns.is_empty() {
                continue;
            }
            for row in reading_inside(kh, pad_top, in_h, out_h, stride) {
                let grad = &grad[row * out_w..][columns.clone()];
                let input_row = row * stride + kh - pad_top;
                let first = input_row * in_w + columns.start * stride + kw - pad_left;
                let targets = &mut input_grad[first..][..(columns.len() - 1) * stride + 1];
                match stride {
                    1 => targets.iter_mut().zip(grad).for_each(|(target, &grad)| *target += weight * grad),
                    _ => targets.iter_mut().step_by(2).zip(grad).for_each(|(target, &grad)| *target += weight * grad),
                }
            }
        }
    }
}

/// One image's share of one channel's [`weight_gradient`], added into `taps`.
///
/// Row by row: each tap's share of a row is the dot product of the output row's gradient with
/// the input row as the tap reads it. At stride 2 a tap reads every other input column, so the
/// row is first split into its even and odd columns, which makes every read consecutive.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn plane_weight_gradient(input: &[f32], grad: &[f32], geometry: &Geometry, taps: &mut [f32]) {
    let &Geometry { in_h, in_w, out_h, out_w, kernel, stride, pad_top, pad_left } = geometry;
    let mut phases = vec![0.0f32; in_w];
    let odd_start = in_w.div_ceil(2);
    for kh in 0..kernel {
        for row in reading_inside(kh, pad_top, in_h, out_h, stride) {
            let input_row = &input[(row * stride + kh - pad_top) * in_w..][..in_w];
            let grad_row = &grad[row * out_w..][..out_w];
            if stride == 2 {
                let (even, odd) = phases.split_at_mut(odd_start);
                even.iter_mut().zip(input_row.iter().step_by(2)).for_each(|(phase, &x)| *phase = x);
                odd.iter_mut().zip(input_row.iter().skip(1).step_by(2)).for_each(|(phase, &x)| *phase = x);
            }
            for kw in 0..kernel {
                let columns = reading_inside(kw, pad_left, in_w, out_w, stride);
                if columns.is_empty() {
                    continue;
                }
                // The input column the tap reads for the first of `columns`, then every `stride`-th.
                let first = columns.start * stride + kw - pad_left;
                let read = match stride {
                    1 => &input_row[first..],
                    _ => &phases[first % 2 * odd_start + first / 2..],
                };
                taps[kh * kernel + kw] += lane_sum(&grad_row[columns.clone()], &read[..columns.len()], |g, x| g * x);
            }
        }
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
    fn other_strides_are_handed_back() {
        let device = Device::flex().autodiff();
        assert!(depthwise_conv(Tensor::ones([1, 2, 6, 6], &device), Tensor::ones([2, 1, 3, 3], &device), 3).is_err());
    }
}
