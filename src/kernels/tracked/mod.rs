//! Training operations on `flex` tensors under burn-autodiff, each with its own backward pass,
//! registered through burn-autodiff's public `Backward` trait so that the graph treats them as
//! any other operation.
//!
//! They replace the parts of a fine-tuning step where burn's generic lowering cost the most
//! (docs/PERFORMANCE.md): ReLU6, which burn-autodiff runs as comparisons and single-threaded
//! masked fills in both directions; the 1×1 and depthwise convolutions, whose gradients burn
//! computes as transposed convolutions and convolutions of permuted copies; and batch norm,
//! which it computes over permuted copies in many passes. The trainer's and the page's
//! whole-network Teach alike.

mod activation;
mod batch_norm;
mod depthwise;
mod pointwise;

pub use activation::activate;
pub use batch_norm::batch_norm_train;
pub use depthwise::depthwise_conv;
pub use pointwise::pointwise_conv;

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, DispatchDevice, Flex, GradientCheckpointingStrategy};
use burn::tensor::{DType, Tensor};
use burn_flex::FlexTensor;

/// The checkpointing these operations declare: none, as `Device::autodiff()` trains.
type Checkpointing = NoCheckpointing;

/// The tensor's autodiff primitive, when it is an f32 tensor on `flex` under autodiff without
/// gradient checkpointing (a checkpointing device's tensors are another backend type).
fn autodiff_flex_f32<const D: usize>(tensor: Tensor<D>) -> Result<FloatTensor<Autodiff<Flex>>, Tensor<D>> {
    let on_flex = match tensor.device().as_dispatch() {
        DispatchDevice::Autodiff(device) => {
            device.gradient_checkpointing_strategy() == GradientCheckpointingStrategy::Disabled
                && matches!(device.clone().inner(), DispatchDevice::Flex(_))
        }
        _ => false,
    };
    if !on_flex || tensor.dtype() != DType::F32 {
        return Err(tensor);
    }
    Ok(tensor.try_into_primitive::<Autodiff<Flex>>().expect("checked above: an f32 tensor on autodiff flex"))
}

/// `tensor` with its values in row-major order from the start of its storage.
fn contiguous(tensor: FlexTensor) -> FlexTensor {
    if tensor.layout().is_contiguous() && tensor.layout().start_offset() == 0 { tensor } else { tensor.to_contiguous() }
}

/// Σ term(a[i], b[i]) over two slices of one length, in eight running sums over chunks of
/// eight so that the compiler vectorises it (one running sum would fix the order of the
/// additions).
#[inline(always)]
fn lane_sum(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    assert_eq!(a.len(), b.len(), "lane_sum takes slices of one length");
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(&a, &b)| term(a, b)).sum();
    let mut sums = [0.0f32; 8];
    for (a, b) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            sums[lane] += term(a[lane], b[lane]);
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// What the tests of these operations compare with burn's own.
#[cfg(test)]
mod test_support {
    use burn::tensor::Tensor;

    /// Panics at the first of `got`'s values farther than `tolerance` × max(|want|, `scale`)
    /// from `want`'s. `scale` is the size of the terms a value sums: a sum of n terms of size 1
    /// in random order is off by ~√n rounding steps even where the terms cancel to a small value.
    pub fn assert_close(got: &[f32], want: &[f32], tolerance: f32, scale: f32, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        for (index, (got, want)) in got.iter().zip(want).enumerate() {
            assert!((got - want).abs() <= tolerance * want.abs().max(scale), "{what} at {index}: {got} != {want}");
        }
    }

    /// Output, input gradient and weight gradient of `loss = Σ conv(input, weight) · weights`.
    pub fn conv_output_and_gradients(conv: impl Fn(Tensor<4>, Tensor<4>) -> Tensor<4>, input: &Tensor<4>, weight: &Tensor<4>, weights: &Tensor<4>) -> [Vec<f32>; 3] {
        let (input, weight) = (input.clone().require_grad(), weight.clone().require_grad());
        let output = conv(input.clone(), weight.clone());
        let gradients = (output.clone() * weights.clone()).sum().backward();
        let values = |tensor: Tensor<4>| tensor.into_data().try_to_vec::<f32>().unwrap();
        [values(output), values(input.grad(&gradients).unwrap()), values(weight.grad(&gradients).unwrap())]
    }

    /// [`assert_close`] on each of [`conv_output_and_gradients`]' three, for values of size 1.
    /// The weight gradient sums `weight_terms` products (images × output pixels).
    pub fn assert_conv_close(ours: &[Vec<f32>; 3], burns: &[Vec<f32>; 3], weight_terms: usize, case: &str) {
        let scales = [1.0, 1.0, (weight_terms as f32).sqrt()];
        for ((what, scale), (ours, burns)) in ["output", "input gradient", "weight gradient"].iter().zip(scales).zip(ours.iter().zip(burns)) {
            assert_close(ours, burns, 1e-4, scale, &format!("{what} of {case}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::Device;

    use super::*;
    use crate::kernels::fused_conv;
    use crate::activation::Activation;

    #[test]
    fn what_the_kernels_do_not_cover_is_handed_back() {
        // A gradient-checkpointing device's tensors are another backend type.
        let checkpointing = Device::flex().autodiff().gradient_checkpointing();
        assert!(activate(Tensor::<1>::ones([3], &checkpointing), Activation::Relu6).is_err());
        // A depthwise convolution with two outputs per input channel.
        let device = Device::flex().autodiff();
        let conv = Conv2dConfig::new([4, 8], [3, 3]).with_groups(4).with_padding(PaddingConfig2d::Same).with_bias(false).init(&device);
        assert!(fused_conv(Tensor::ones([1, 4, 5, 5], &device), &conv, None).is_err());
    }
}
