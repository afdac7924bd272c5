//! 1×1 convolutions (stride 1, one group, no bias: EfficientNet's expansions, projections and
//! head before their batch norm) as matrix products in both directions.
//!
//! burn computes their input gradient as a transposed convolution and their weight gradient as a
//! convolution of the input and gradient with batch and channels swapped, which `flex` runs on
//! permuted copies of both: together about a third of a fine-tuning step. Per image they are
//! one product each: `∂input = weightᵀ · ∂output` and `∂weight = Σ ∂output · inputᵀ`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::{Autodiff, Flex};
use burn::tensor::{DType, Tensor};
use burn_flex::{FlexTensor, Layout};

use super::{Checkpointing, autodiff_flex_f32, contiguous};
use crate::kernels::{Matrix, matmul, new_tensor, pointwise, values};
use crate::parallel::{self, OutputPointer};

/// Pixels per task of the input gradient, as the forward kernel's tiles.
const TASK_PIXELS: usize = 512;
/// Pixels per unit of the weight gradient's work, which the tasks share out.
const UNIT_PIXELS: usize = 4096;

/// `conv(input)` for a 1×1 convolution of `weight` under autodiff on `flex`; hands `input` back
/// when either is elsewhere.
///
/// # Shapes
/// - input: `[batch, channels_in, height, width]`
/// - weight: `[channels_out, channels_in, 1, 1]`
/// - output: `[batch, channels_out, height, width]`
pub fn pointwise_conv(input: Tensor<4>, weight: Tensor<4>) -> Result<Tensor<4>, Tensor<4>> {
    let Ok(weight) = autodiff_flex_f32(weight) else { return Err(input) };
    let input = autodiff_flex_f32(input)?;
    let prepared = PointwiseStep.prepare::<Checkpointing>([input.node(), weight.node()]).compute_bound().stateful();
    let (input, weight) = (contiguous(input.into_primitive()), contiguous(weight.into_primitive()));
    let output = pointwise::pointwise_conv(&input, &values(&weight), None, None);
    let output = match prepared {
        OpsKind::Tracked(prepared) => prepared.finish((input, weight), output),
        OpsKind::UnTracked(prepared) => prepared.finish(output),
    };
    Ok(Tensor::from_primitive::<Autodiff<Flex>>(output))
}

/// The backward step; its state is the forward pass's input and weight.
#[derive(Debug)]
struct PointwiseStep;

impl Backward<Flex, 2> for PointwiseStep {
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input_parent, weight_parent] = ops.parents;
        let grad = contiguous(grads.consume::<Flex>(&ops.node));
        let (input, weight) = ops.state;
        if let Some(parent) = weight_parent {
            grads.register::<Flex>(parent.id, weight_gradient(&input, &grad));
        }
        if let Some(parent) = input_parent {
            grads.register::<Flex>(parent.id, input_gradient(&weight, &grad));
        }
    }
}

/// `∂input[image] = weightᵀ · ∂output[image]`, one task per image and run of pixels.
///
/// # Shapes
/// - weight: `[channels_out, channels_in, 1, 1]`
/// - grad: `[batch, channels_out, height, width]`
/// - output: `[batch, channels_in, height, width]`
fn input_gradient(weight: &FlexTensor, grad: &FlexTensor) -> FlexTensor {
    let [batch, channels_out, height, width] = grad.layout().shape().dims();
    let (weight, grad) = (values(weight), values(grad));
    let channels_in = weight.len() / channels_out;
    let pixels = height * width;
    let tasks_per_image = pixels.div_ceil(TASK_PIXELS);
    new_tensor([batch, channels_in, height, width], |output| {
        let output = OutputPointer(output.as_mut_ptr().cast());
        parallel::for_each_index(batch * tasks_per_image, |index| {
            let (image, task) = (index / tasks_per_image, index % tasks_per_image);
            let start = task * TASK_PIXELS;
            let columns = TASK_PIXELS.min(pixels - start);
            let offset = |channels: usize| image * channels * pixels + start;
            // SAFETY: each task writes only its own columns of its own image, all of them
            // (not accumulating: the uninitialised memory is never read); the operands lie
            // inside `weight` and `grad` by their shapes. weightᵀ is `weight` read with its
            // strides swapped.
            unsafe {
                matmul(
                    channels_in,
                    columns,
                    channels_out,
                    Matrix::row_major(output.add(offset(channels_in)), pixels),
                    false,
                    Matrix::transposed(weight.as_ptr(), channels_in),
                    Matrix::row_major(grad[offset(channels_out)..].as_ptr(), pixels),
                );
            }
        });
    })
}

/// `∂weight = Σ over images and pixels of ∂output · inputᵀ`. The sum over pixels is the
/// products' long inner dimension; its runs are shared out to the cores, each summing into a
/// partial gradient of its own, and the partials are added at the end.
///
/// # Shapes
/// - input: `[batch, channels_in, height, width]`
/// - grad: `[batch, channels_out, height, width]`
/// - output: `[channels_out, channels_in, 1, 1]`
fn weight_gradient(input: &FlexTensor, grad: &FlexTensor) -> FlexTensor {
    let [batch, channels_in, height, width] = input.layout().shape().dims();
    let channels_out = grad.layout().shape().dims::<4>()[1];
    let (input, grad) = (values(input), values(grad));
    let pixels = height * width;
    let units_per_image = pixels.div_ceil(UNIT_PIXELS);
    let units = batch * units_per_image;
    let tasks = units.min(2 * parallel::threads());
    let task_units: Vec<_> = (0..tasks).map(|task| task * units / tasks..(task + 1) * units / tasks).collect();
    let partials = parallel::map(&task_units, |units| {
        let mut partial = vec![0.0f32; channels_out * channels_in];
        for unit in units.clone() {
            let (image, start) = (unit / units_per_image, unit % units_per_image * UNIT_PIXELS);
            let run = UNIT_PIXELS.min(pixels - start);
            let offset = |channels: usize| image * channels * pixels + start;
            // SAFETY: `partial` is this task's own; the operands lie inside `grad` and `input`
            // by their shapes; inputᵀ is `input` read with its strides swapped.
            unsafe {
                matmul(
                    channels_out,
                    channels_in,
                    run,
                    Matrix::row_major(partial.as_mut_ptr(), channels_in),
                    true,
                    Matrix::row_major(grad[offset(channels_out)..].as_ptr(), pixels),
                    Matrix::transposed(input[offset(channels_in)..].as_ptr(), pixels),
                );
            }
        }
        partial
    });
    let mut sum = vec![0.0f32; channels_out * channels_in];
    for partial in partials {
        sum.iter_mut().zip(partial).for_each(|(sum, value)| *sum += value);
    }
    FlexTensor::new(burn::tensor::Bytes::from_elems(sum), Layout::contiguous([channels_out, channels_in, 1, 1].into()), DType::F32)
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
        // 70 × 70 = 4900 pixels: more than one run of the weight gradient and several partial
        // tasks of the input gradient per image.
        for [batch, channels_in, channels_out, side] in [[3, 5, 7, 70], [1, 16, 3, 9], [2, 1, 1, 1]] {
            let input = Tensor::<4>::random([batch, channels_in, side, side], Distribution::Normal(0.0, 1.0), &device);
            let weight = Tensor::<4>::random([channels_out, channels_in, 1, 1], Distribution::Normal(0.0, 1.0), &device);
            let weights = Tensor::<4>::random([batch, channels_out, side, side], Distribution::Normal(0.0, 1.0), &device);
            let ours = conv_output_and_gradients(|x, w| pointwise_conv(x, w).expect("autodiff flex f32"), &input, &weight, &weights);
            let options = ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
            let burns = conv_output_and_gradients(|x, w| burn::tensor::module::conv2d(x, w, None, options.clone()), &input, &weight, &weights);
            assert_conv_close(&ours, &burns, batch * side * side, &format!("{batch}×{channels_in}→{channels_out}×{side}²"));
        }
    }

    #[test]
    fn a_frozen_weight_gets_no_gradient_and_other_devices_are_handed_back() {
        let device = Device::flex().autodiff();
        let input = Tensor::<4>::ones([1, 2, 3, 3], &device).require_grad();
        let frozen = Tensor::<4>::ones([4, 2, 1, 1], &device);
        let gradients = pointwise_conv(input.clone(), frozen.clone()).unwrap().sum().backward();
        assert!(frozen.grad(&gradients).is_none());
        assert_eq!(input.grad(&gradients).unwrap().into_data().try_to_vec::<f32>().unwrap(), vec![4.0; 18]);
        let plain = Device::flex();
        assert!(pointwise_conv(Tensor::ones([1, 2, 3, 3], &plain), Tensor::ones([4, 2, 1, 1], &plain)).is_err());
    }
}
