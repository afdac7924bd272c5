//! Batch normalisation in training, with the activation that follows it: batch statistics,
//! running statistics updated, gradients for the input, γ and β.
//!
//! burn's generic lowering computes each channel's statistics over a copy of the activation with
//! batch and channels swapped, then normalises in several more passes, and its backward pass
//! does the same again: with the convolutions on their own kernels, batch norm and those copies
//! were over a third of a fine-tuning step. Here the forward pass reads the input three times
//! (mean, variance, normalisation and activation) and writes the output once; the backward pass
//! reads the input and gradient twice, writing the gradient in place each time: first the
//! gradient at the norm's output (through the activation) with its sums per channel, then the
//! input's. The activation is fused because every pass here is bound by memory: on its own it
//! read and wrote every value once more each way, and kept a second tensor of the batch.

use std::mem::MaybeUninit;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, Flex};
use burn::nn::BatchNorm;
use burn::tensor::{Bytes, DType, Tensor};
use burn_flex::{FlexTensor, Layout};
use multiversion::multiversion;

use super::{Checkpointing, autodiff_flex_f32, contiguous, lane_sum};
use crate::kernels::{activation, new_tensor, values};
use crate::activation::Activation;
use crate::parallel::{OutputPointer, for_each_chunk};

/// Values per task at least: a 7×7 plane alone is too little work to schedule.
const MIN_TASK_ELEMENTS: usize = 4096;

/// `activation(norm.forward(input))` for a batch norm that trains (under autodiff on `flex`, not
/// frozen): normalised with the batch's statistics, which also move the running ones as burn's
/// `BatchNorm` moves them. Hands any other case back.
///
/// # Shapes
/// - input, output: `[batch, channels, height, width]`
pub fn batch_norm_train(input: Tensor<4>, norm: &BatchNorm, activation: Option<Activation>) -> Result<Tensor<4>, Tensor<4>> {
    // A channel count that is not the norm's is burn's to report.
    if !norm.training.is_enabled() || norm.gamma.dims() != [input.dims()[1]] {
        return Err(input);
    }
    let (Ok(gamma), Ok(beta)) = (autodiff_flex_f32(norm.gamma.val()), autodiff_flex_f32(norm.beta.val())) else {
        return Err(input);
    };
    let device = input.device();
    let input = autodiff_flex_f32(input)?;
    let prepared = BatchNormStep.prepare::<Checkpointing>([input.node(), gamma.node(), beta.node()]).compute_bound().stateful();
    let input = contiguous(input.into_primitive());
    let (gamma, beta) = (values(gamma.primitive()), values(beta.primitive()));
    let statistics = Statistics::of(&input, norm.epsilon);
    let affine = Affine::of(&statistics, &gamma, &beta);
    let output = normalise(&input, &affine, activation);
    update_running_statistics(norm, &statistics, &device);
    let output = match prepared {
        OpsKind::Tracked(prepared) => prepared.finish(State { input, statistics, affine, activation }, output),
        OpsKind::UnTracked(prepared) => prepared.finish(output),
    };
    Ok(Tensor::from_primitive::<Autodiff<Flex>>(output))
}

/// Each channel's batch mean, (biased) variance and 1 / √(variance + ε).
#[derive(Clone, Debug)]
struct Statistics {
    mean: Vec<f32>,
    variance: Vec<f32>,
    inverse_std: Vec<f32>,
}

impl Statistics {
    fn of(input: &FlexTensor, epsilon: f64) -> Self {
        let [batch, channels, height, width] = input.layout().shape().dims();
        let plane = height * width;
        let input = values(input);
        // [mean, variance] per channel; a task takes whole channels, every image of them.
        let mut moments = vec![0.0f32; 2 * channels];
        for_each_chunk(&mut moments, 2, MIN_TASK_ELEMENTS.div_ceil(batch * plane), |channel, moments| {
            moments.copy_from_slice(&channel_moments(&input, channel, channels, plane));
        });
        let (mean, variance): (Vec<f32>, Vec<f32>) = moments.chunks_exact(2).map(|pair| (pair[0], pair[1])).unzip();
        let inverse_std = variance.iter().map(|&variance| (1.0 / (f64::from(variance) + epsilon).sqrt()) as f32).collect();
        Self { mean, variance, inverse_std }
    }
}

/// A channel's mean and (biased) variance over every image's plane of it, compiled for each x86
/// width (the portable x86-64 target stops at SSE2). Each plane sums in f32, the planes in f64.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn channel_moments(input: &[f32], channel: usize, channels: usize, plane: usize) -> [f32; 2] {
    let count = (input.len() / channels) as f64;
    let planes = || channel_planes(input, channel, channels, plane);
    let mean = planes().map(|values| f64::from(lane_sum(values, values, |x, _| x))).sum::<f64>() / count;
    let centred = mean as f32;
    let squares: f64 = planes().map(|values| f64::from(lane_sum(values, values, |x, _| (x - centred) * (x - centred)))).sum();
    [centred, (squares / count) as f32]
}

/// Each image's plane of one channel.
fn channel_planes(values: &[f32], channel: usize, channels: usize, plane: usize) -> impl Iterator<Item = &[f32]> {
    values.chunks_exact(channels * plane).map(move |image| &image[channel * plane..][..plane])
}

/// The normalisation as `scale · input + shift` per channel: `scale = γ / √(variance + ε)`,
/// `shift = β − mean · scale`. The backward step recomputes the activation's input with it,
/// exactly as the forward pass computed it.
#[derive(Clone, Debug)]
struct Affine {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

impl Affine {
    fn of(statistics: &Statistics, gamma: &[f32], beta: &[f32]) -> Self {
        let scale: Vec<f32> = gamma.iter().zip(&statistics.inverse_std).map(|(gamma, inverse_std)| gamma * inverse_std).collect();
        let shift = beta.iter().zip(&statistics.mean).zip(&scale).map(|((beta, mean), scale)| beta - mean * scale).collect();
        Self { scale, shift }
    }
}

/// `activation(scale · input + shift)`, channel by channel.
fn normalise(input: &FlexTensor, affine: &Affine, activation: Option<Activation>) -> FlexTensor {
    let [batch, channels, height, width] = input.layout().shape().dims();
    let plane = height * width;
    let input = values(input);
    new_tensor([batch, channels, height, width], |output| {
        for_each_chunk(output, plane, MIN_TASK_ELEMENTS.div_ceil(plane), |index, output| {
            let channel = index % channels;
            normalise_plane(&input[index * plane..][..plane], output, affine.scale[channel], affine.shift[channel], activation);
        });
    })
}

/// One plane of [`normalise`], compiled for each x86 width.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn normalise_plane(input: &[f32], output: &mut [MaybeUninit<f32>], scale: f32, shift: f32, activation: Option<Activation>) {
    match activation {
        Some(activation) => activation::map_into(activation, input, output, |x| x * scale + shift),
        None => output.iter_mut().zip(input).for_each(|(output, &x)| {
            output.write(x * scale + shift);
        }),
    }
}

/// `running = (1 − momentum) · running + momentum · batch`, for the mean and the variance, as
/// burn's `BatchNorm::forward` does in training.
fn update_running_statistics(norm: &BatchNorm, statistics: &Statistics, device: &burn::tensor::Device) {
    let blend = |running: Tensor<1>, batch: &[f32]| {
        let batch = Tensor::<1>::from_floats(batch, device);
        (running.to_device(device).mul_scalar(1.0 - norm.momentum) + batch.mul_scalar(norm.momentum)).detach()
    };
    norm.running_mean.update(blend(norm.running_mean.value_sync(), &statistics.mean));
    norm.running_var.update(blend(norm.running_var.value_sync(), &statistics.variance));
}

/// The backward step's state: the forward pass's input, statistics, normalisation and
/// activation.
#[derive(Clone, Debug)]
struct State {
    input: FlexTensor,
    statistics: Statistics,
    affine: Affine,
    activation: Option<Activation>,
}

/// The backward step, for the input, γ and β in that order.
#[derive(Debug)]
struct BatchNormStep;

impl Backward<Flex, 3> for BatchNormStep {
    type State = State;

    /// With g the gradient at the norm's output (the output's gradient through the activation),
    /// x̂ the normalised input, and sums over each channel's values: ∂β = Σ g, ∂γ = Σ g·x̂,
    /// ∂input = γ / √(variance + ε) · (g − mean(g) − x̂ · mean(g·x̂)).
    fn backward(self, ops: Ops<State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input_parent, gamma_parent, beta_parent] = ops.parents;
        let mut grad = contiguous(grads.consume::<Flex>(&ops.node));
        let State { input, statistics, affine, activation } = ops.state;
        let [batch, channels, height, width] = input.layout().shape().dims();
        let plane = height * width;
        let input = values(&input);
        // Copies the values first when they are shared.
        let grad_values = &mut grad.storage_mut::<f32>()[..input.len()];

        // The gradient at the norm's output, in place, and [Σ g, Σ g·x̂] per channel. A task
        // takes whole channels, every image of them: no other task touches their planes.
        let mut sums = vec![0.0f32; 2 * channels];
        let grad_pointer = OutputPointer(grad_values.as_mut_ptr());
        for_each_chunk(&mut sums, 2, MIN_TASK_ELEMENTS.div_ceil(batch * plane), |channel, sums| {
            let (mut sum_grad, mut sum_grad_normalised) = (0.0f64, 0.0f64);
            for (image, input) in channel_planes(&input, channel, channels, plane).enumerate() {
                // SAFETY: this channel's plane of this image, inside the gradient, this task's alone.
                let grad = unsafe { std::slice::from_raw_parts_mut(grad_pointer.add((image * channels + channel) * plane), plane) };
                let [plane_grad, plane_grad_normalised] =
                    output_gradient_sums(input, grad, &affine, &statistics, channel, activation);
                sum_grad += f64::from(plane_grad);
                sum_grad_normalised += f64::from(plane_grad_normalised);
            }
            sums.copy_from_slice(&[sum_grad as f32, sum_grad_normalised as f32]);
        });
        let (sum_grad, sum_grad_normalised): (Vec<f32>, Vec<f32>) = sums.chunks_exact(2).map(|pair| (pair[0], pair[1])).unzip();

        if let Some(parent) = input_parent {
            let count = (batch * plane) as f32;
            for_each_chunk(grad_values, plane, MIN_TASK_ELEMENTS.div_ceil(plane), |index, grad| {
                let channel = index % channels;
                let means = [sum_grad[channel] / count, sum_grad_normalised[channel] / count];
                input_gradient_plane(&input[index * plane..][..plane], grad, &affine, &statistics, channel, means);
            });
            grads.register::<Flex>(parent.id, grad);
        }
        let vector = |values: Vec<f32>| FlexTensor::new(Bytes::from_elems(values), Layout::contiguous([channels].into()), DType::F32);
        if let Some(parent) = gamma_parent {
            grads.register::<Flex>(parent.id, vector(sum_grad_normalised));
        }
        if let Some(parent) = beta_parent {
            grads.register::<Flex>(parent.id, vector(sum_grad));
        }
    }
}

/// One plane of the backward step's first pass: the output's gradient through the activation
/// (in place), then its Σ g and Σ g·x̂. Compiled for each x86 width.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn output_gradient_sums(input: &[f32], grad: &mut [f32], affine: &Affine, statistics: &Statistics, channel: usize, activation: Option<Activation>) -> [f32; 2] {
    let (scale, shift) = (affine.scale[channel], affine.shift[channel]);
    if let Some(activation) = activation {
        activation::gradient_in_place(activation, input, grad, |x| x * scale + shift);
    }
    let (mean, inverse_std) = (statistics.mean[channel], statistics.inverse_std[channel]);
    [lane_sum(grad, grad, |g, _| g), lane_sum(grad, input, |g, x| g * ((x - mean) * inverse_std))]
}

/// One plane of the input's gradient from the norm output's (in place), given the channel's
/// mean(g) and mean(g·x̂). Compiled for each x86 width.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn input_gradient_plane(input: &[f32], grad: &mut [f32], affine: &Affine, statistics: &Statistics, channel: usize, [mean_grad, mean_grad_normalised]: [f32; 2]) {
    let (scale, mean, inverse_std) = (affine.scale[channel], statistics.mean[channel], statistics.inverse_std[channel]);
    for (grad, &x) in grad.iter_mut().zip(input) {
        *grad = scale * (*grad - mean_grad - (x - mean) * inverse_std * mean_grad_normalised);
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::BatchNormConfig;
    use burn::tensor::activation::{relu6, silu};
    use burn::tensor::{Device, Distribution};

    use super::*;
    use crate::kernels::tracked::test_support::assert_close;

    /// Output, the gradients of input, γ and β, and the running mean and variance after one
    /// training step of `loss = Σ forward(norm, input) · weights`.
    fn step(forward: impl Fn(&BatchNorm, Tensor<4>) -> Tensor<4>, norm: &BatchNorm, input: &Tensor<4>, weights: &Tensor<4>) -> [Vec<f32>; 6] {
        let input = input.clone().require_grad();
        let output = forward(norm, input.clone());
        let gradients = (output.clone() * weights.clone()).sum().backward();
        let values = |tensor: Tensor<1>| tensor.into_data().try_to_vec::<f32>().unwrap();
        [
            output.into_data().try_to_vec::<f32>().unwrap(),
            input.grad(&gradients).unwrap().into_data().try_to_vec::<f32>().unwrap(),
            values(norm.gamma.val().grad(&gradients).unwrap()),
            values(norm.beta.val().grad(&gradients).unwrap()),
            values(norm.running_mean.value_sync()),
            values(norm.running_var.value_sync()),
        ]
    }

    /// burn's own operations for `activation(norm.forward(input))`.
    fn burns(norm: &BatchNorm, input: Tensor<4>, activation: Option<Activation>) -> Tensor<4> {
        let output = norm.forward(input);
        match activation {
            Some(Activation::Relu6) => relu6(output),
            Some(Activation::Swish) => silu(output),
            None => output,
        }
    }

    #[test]
    fn output_gradients_and_running_statistics_match_burns_batch_norm_and_activation() {
        let device = Device::flex().autodiff();
        let shapes = [[3, 4, 9, 7], [2, 3, 70, 70], [4, 2, 1, 1]];
        for (activation, [batch, channels, height, width]) in [None, Some(Activation::Relu6), Some(Activation::Swish)].into_iter().flat_map(|activation| shapes.map(|shape| (activation, shape))) {
            let norm = || {
                let norm = BatchNormConfig::new(channels).with_momentum(0.3).init(&device);
                // γ and β away from 1 and 0, so that a gradient that ignores them shows; γ
                // spreads the output past both of ReLU6's clamps.
                let gamma = Tensor::<1>::random([channels], Distribution::Normal(2.0, 1.0), &device);
                let beta = Tensor::<1>::random([channels], Distribution::Normal(0.0, 0.5), &device);
                BatchNorm { gamma: burn::module::Param::from_tensor(gamma), beta: burn::module::Param::from_tensor(beta), ..norm }
            };
            let (ours, burns_norm) = (norm(), norm());
            let burns_norm = burns_norm.load_record(ours.clone().into_record());
            let input = Tensor::<4>::random([batch, channels, height, width], Distribution::Normal(2.0, 3.0), &device);
            let weights = Tensor::<4>::random([batch, channels, height, width], Distribution::Normal(0.0, 1.0), &device);
            let ours = step(|norm, x| batch_norm_train(x, norm, activation).expect("a training batch norm on autodiff flex"), &ours, &input, &weights);
            let burns = step(|norm, x| burns(norm, x, activation), &burns_norm, &input, &weights);
            let names = ["output", "input gradient", "γ gradient", "β gradient", "running mean", "running variance"];
            // γ's and β's gradients each sum a channel's values; the others are of size 1.
            let channel_sum = ((batch * height * width) as f32).sqrt();
            let scales = [1.0, 1.0, channel_sum, channel_sum, 1.0, 1.0];
            for ((what, scale), (ours, burns)) in names.iter().zip(scales).zip(ours.iter().zip(&burns)) {
                assert_close(ours, burns, 2e-4, scale, &format!("{what} of {batch}×{channels}×{height}×{width}, {activation:?}"));
            }
        }
    }

    #[test]
    fn frozen_norms_and_other_devices_are_handed_back() {
        let device = Device::flex().autodiff();
        let frozen = BatchNormConfig::new(2).init(&device).freeze();
        assert!(batch_norm_train(Tensor::ones([1, 2, 3, 3], &device), &frozen, None).is_err());
        let plain = Device::flex();
        assert!(batch_norm_train(Tensor::ones([1, 2, 3, 3], &plain), &BatchNormConfig::new(2).init(&plain), Some(Activation::Swish)).is_err());
    }
}
