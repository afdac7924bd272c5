//! Batch normalisation in training: batch statistics, running statistics updated, gradients for
//! the input, γ and β.
//!
//! burn's generic lowering computes each channel's statistics over a copy of the activation with
//! batch and channels swapped, then normalises in several more passes, and its backward pass
//! does the same again: with the convolutions on their own kernels, batch norm and those copies
//! were over a third of a fine-tuning step. Here the forward pass reads the input three times
//! (mean, variance, normalisation) and writes the output once; the backward pass reads the
//! input and gradient to sum each channel, then once more to write the input gradient.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, Flex};
use burn::nn::BatchNorm;
use burn::tensor::{Bytes, DType, Tensor};
use burn_flex::{FlexTensor, Layout};

use super::{Checkpointing, autodiff_flex_f32, contiguous, lane_sum};
use crate::kernels::{new_tensor, values};
use crate::parallel::for_each_chunk;

/// Values per task at least: a 7×7 plane alone is too little work to schedule.
const MIN_TASK_ELEMENTS: usize = 4096;

/// `norm.forward(input)` for a batch norm that trains (under autodiff on `flex`, not frozen):
/// normalised with the batch's statistics, which also move the running ones as burn's
/// `BatchNorm` moves them. Hands any other case back.
///
/// # Shapes
/// - input, output: `[batch, channels, height, width]`
pub fn batch_norm_train(input: Tensor<4>, norm: &BatchNorm) -> Result<Tensor<4>, Tensor<4>> {
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
    let (gamma, beta) = (values(gamma.primitive()).into_owned(), values(beta.primitive()).into_owned());
    let statistics = Statistics::of(&input, norm.epsilon);
    let output = normalise(&input, &statistics, &gamma, &beta);
    update_running_statistics(norm, &statistics, &device);
    let output = match prepared {
        OpsKind::Tracked(prepared) => prepared.finish(State { input, gamma, statistics }, output),
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
        let count = (batch * plane) as f64;
        // [mean, variance] per channel; a task takes whole channels, every image of them.
        let mut moments = vec![0.0f32; 2 * channels];
        for_each_chunk(&mut moments, 2, MIN_TASK_ELEMENTS.div_ceil(batch * plane), |channel, moments| {
            let planes = || (0..batch).map(|image| &input[(image * channels + channel) * plane..][..plane]);
            let mean = planes().map(|values| f64::from(lane_sum(values, values, |x, _| x))).sum::<f64>() / count;
            let centred = mean as f32;
            let squares = planes().map(|values| f64::from(lane_sum(values, values, |x, _| (x - centred) * (x - centred))));
            moments[0] = centred;
            moments[1] = (squares.sum::<f64>() / count) as f32;
        });
        let (mean, variance): (Vec<f32>, Vec<f32>) = moments.chunks_exact(2).map(|pair| (pair[0], pair[1])).unzip();
        let inverse_std = variance.iter().map(|&variance| (1.0 / (f64::from(variance) + epsilon).sqrt()) as f32).collect();
        Self { mean, variance, inverse_std }
    }
}

/// `γ · (input − mean) / √(variance + ε) + β`, channel by channel.
fn normalise(input: &FlexTensor, statistics: &Statistics, gamma: &[f32], beta: &[f32]) -> FlexTensor {
    let [batch, channels, height, width] = input.layout().shape().dims();
    let plane = height * width;
    let input = values(input);
    new_tensor([batch, channels, height, width], |output| {
        for_each_chunk(output, plane, MIN_TASK_ELEMENTS.div_ceil(plane), |index, output| {
            let channel = index % channels;
            let scale = gamma[channel] * statistics.inverse_std[channel];
            let shift = beta[channel] - statistics.mean[channel] * scale;
            for (output, &x) in output.iter_mut().zip(&input[index * plane..][..plane]) {
                output.write(x * scale + shift);
            }
        });
    })
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

/// The backward step's state: the forward pass's input, γ and statistics.
#[derive(Clone, Debug)]
struct State {
    input: FlexTensor,
    gamma: Vec<f32>,
    statistics: Statistics,
}

/// The backward step, for the input, γ and β in that order.
#[derive(Debug)]
struct BatchNormStep;

impl Backward<Flex, 3> for BatchNormStep {
    type State = State;

    /// With x̂ the normalised input and g the output's gradient, summed over each channel's
    /// values: ∂β = Σ g, ∂γ = Σ g·x̂, ∂input = γ / √(variance + ε) · (g − mean(g) − x̂ · mean(g·x̂)).
    fn backward(self, ops: Ops<State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input_parent, gamma_parent, beta_parent] = ops.parents;
        let grad = contiguous(grads.consume::<Flex>(&ops.node));
        let State { input, gamma, statistics } = ops.state;
        let [batch, channels, height, width] = input.layout().shape().dims();
        let plane = height * width;
        let (input, grad_values) = (values(&input), values(&grad));
        let normalised = |channel: usize, x: f32| (x - statistics.mean[channel]) * statistics.inverse_std[channel];

        // [Σ g, Σ g·x̂] per channel.
        let mut sums = vec![0.0f32; 2 * channels];
        for_each_chunk(&mut sums, 2, MIN_TASK_ELEMENTS.div_ceil(batch * plane), |channel, sums| {
            let planes = || (0..batch).map(|image| (image * channels + channel) * plane..(image * channels + channel + 1) * plane);
            let sum_grad: f64 = planes().map(|range| f64::from(lane_sum(&grad_values[range.clone()], &grad_values[range], |g, _| g))).sum();
            let sum_grad_normalised: f64 = planes()
                .map(|range| f64::from(lane_sum(&grad_values[range.clone()], &input[range], |g, x| g * normalised(channel, x))))
                .sum();
            sums[0] = sum_grad as f32;
            sums[1] = sum_grad_normalised as f32;
        });
        let (sum_grad, sum_grad_normalised): (Vec<f32>, Vec<f32>) = sums.chunks_exact(2).map(|pair| (pair[0], pair[1])).unzip();

        if let Some(parent) = input_parent {
            let count = (batch * plane) as f32;
            let input_grad = new_tensor([batch, channels, height, width], |input_grad| {
                for_each_chunk(input_grad, plane, MIN_TASK_ELEMENTS.div_ceil(plane), |index, input_grad| {
                    let channel = index % channels;
                    let scale = gamma[channel] * statistics.inverse_std[channel];
                    let (mean_grad, mean_grad_normalised) = (sum_grad[channel] / count, sum_grad_normalised[channel] / count);
                    let values = input[index * plane..][..plane].iter().zip(&grad_values[index * plane..][..plane]);
                    for (input_grad, (&x, &g)) in input_grad.iter_mut().zip(values) {
                        input_grad.write(scale * (g - mean_grad - normalised(channel, x) * mean_grad_normalised));
                    }
                });
            });
            grads.register::<Flex>(parent.id, input_grad);
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

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::BatchNormConfig;
    use burn::tensor::{Device, Distribution};

    use super::*;
    use crate::kernels::tracked::test_support::assert_close;

    /// Output, the gradients of input, γ and β, and the running mean and variance after one
    /// training step of `loss = Σ norm(input) · weights`.
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

    #[test]
    fn output_gradients_and_running_statistics_match_burns_batch_norm() {
        let device = Device::flex().autodiff();
        for [batch, channels, height, width] in [[3, 4, 9, 7], [2, 3, 70, 70], [4, 2, 1, 1]] {
            let norm = || {
                let norm = BatchNormConfig::new(channels).with_momentum(0.3).init(&device);
                // γ and β away from 1 and 0, so that a gradient that ignores them shows.
                let gamma = Tensor::<1>::random([channels], Distribution::Normal(1.0, 0.5), &device);
                let beta = Tensor::<1>::random([channels], Distribution::Normal(0.0, 0.5), &device);
                BatchNorm { gamma: burn::module::Param::from_tensor(gamma), beta: burn::module::Param::from_tensor(beta), ..norm }
            };
            let (ours, burns) = (norm(), norm());
            let burns = burns.load_record(ours.clone().into_record());
            let input = Tensor::<4>::random([batch, channels, height, width], Distribution::Normal(2.0, 3.0), &device);
            let weights = Tensor::<4>::random([batch, channels, height, width], Distribution::Normal(0.0, 1.0), &device);
            let ours = step(|norm, x| batch_norm_train(x, norm).expect("a training batch norm on autodiff flex"), &ours, &input, &weights);
            let burns = step(|norm, x| norm.forward(x), &burns, &input, &weights);
            let names = ["output", "input gradient", "γ gradient", "β gradient", "running mean", "running variance"];
            // γ's and β's gradients each sum a channel's values; the others are of size 1.
            let channel_sum = ((batch * height * width) as f32).sqrt();
            let scales = [1.0, 1.0, channel_sum, channel_sum, 1.0, 1.0];
            for ((what, scale), (ours, burns)) in names.iter().zip(scales).zip(ours.iter().zip(&burns)) {
                assert_close(ours, burns, 2e-4, scale, &format!("{what} of {batch}×{channels}×{height}×{width}"));
            }
        }
    }

    #[test]
    fn frozen_norms_and_other_devices_are_handed_back() {
        let device = Device::flex().autodiff();
        let frozen = BatchNormConfig::new(2).init(&device).freeze();
        assert!(batch_norm_train(Tensor::ones([1, 2, 3, 3], &device), &frozen).is_err());
        let plain = Device::flex();
        assert!(batch_norm_train(Tensor::ones([1, 2, 3, 3], &plain), &BatchNormConfig::new(2).init(&plain)).is_err());
    }
}
