//! Fused inference kernels for burn's `flex` CPU backend.
//!
//! With its batch norms folded, EfficientNet is a chain of convolution → bias → activation. burn
//! runs these as three passes over memory, and `flex` computes ReLU6 (a `clamp`) as scalar code on
//! one thread: together about a third of a batch-1 forward pass (docs/PERFORMANCE.md). The
//! kernels here do the three in one pass, on `flex`'s own tensors, reached through burn's backend
//! extension API (`Tensor::try_into_primitive::<Flex>`).
//!
//! They run on f32 `flex` tensors: at inference, and in training (the trainer's and the page's),
//! where [`tracked`] registers each of its operations with burn-autodiff together with its own
//! backward pass. On WebGPU and other backends the model keeps burn's operations, which
//! [`fused_conv`], [`batch_norm_train`] and [`activate`] signal by handing the input back.

// Handing the input back is a move of the caller's own tensor handle, not of its data.
#![allow(clippy::result_large_err)]

mod activation;
mod direct;
mod pointwise;
mod tracked;

use std::borrow::Cow;
use std::mem::MaybeUninit;

use burn::backend::{DispatchDevice, Flex};
use burn::nn::PaddingConfig2d;
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::{DType, Shape, Tensor};
use burn_flex::{FlexTensor, Layout};

use crate::activation::Activation;

/// `activation(conv(input))`, with the convolution's bias, in one pass: for EfficientNet's
/// convolutions (depthwise, 1×1 and the stem's) on the CPU outside autodiff, and for its 1×1 and
/// depthwise convolutions without bias or activation under autodiff too (training,
/// [`tracked`]). Any other case hands `input` back untouched.
///
/// # Shapes
/// - input: `[batch, channels_in, height, width]`
/// - output: as `conv.forward(input)`
pub fn fused_conv(input: Tensor<4>, conv: &Conv2d, activation: Option<Activation>) -> Result<Tensor<4>, Tensor<4>> {
    let [_, channels_in, _, _] = input.dims();
    let weight_shape @ [_, group_channels, kernel_h, kernel_w] = conv.weight.dims();
    let pointwise = kernel_h == 1
        && kernel_w == 1
        && conv.stride == [1, 1]
        && conv.groups == 1
        && matches!(conv.padding, PaddingConfig2d::Same | PaddingConfig2d::Valid);
    let direct = kernel_h == kernel_w
        && conv.stride[0] == conv.stride[1]
        && conv.stride[0] <= direct::MAX_STRIDE
        && conv.dilation == [1, 1]
        && group_channels <= direct::MAX_GROUP_CHANNELS
        && channels_in == group_channels * conv.groups
        && matches!(conv.padding, PaddingConfig2d::Same);
    if !(pointwise || direct) {
        return Err(input);
    }
    let input = {
        let depthwise = direct && group_channels == 1 && conv.groups == channels_in && weight_shape[0] == channels_in;
        let tracked = match (activation.is_none() && conv.bias.is_none(), pointwise, depthwise) {
            (true, true, _) => tracked::pointwise_conv(input, conv.weight.val()),
            (true, _, true) => tracked::depthwise_conv(input, conv.weight.val(), conv.stride[0]),
            _ => Err(input),
        };
        match tracked {
            Ok(output) => return Ok(output),
            Err(input) => input,
        }
    };
    // Parameters elsewhere than the input, or of another dtype, are burn's convolution's to
    // report or convert.
    let Ok(weight) = flex_f32(conv.weight.val()) else { return Err(input) };
    let Ok(bias) = conv.bias.as_ref().map(|bias| flex_f32(bias.val())).transpose() else { return Err(input) };
    let input = flex_f32(input)?;
    let bias = bias.as_ref().map(|bias| values(bias));
    let output = if pointwise {
        pointwise::pointwise_conv(&input, &values(&weight), bias.as_deref(), activation)
    } else {
        direct::direct_conv(&input, &values(&weight), bias.as_deref(), weight_shape, conv.stride[0], activation)
    };
    Ok(Tensor::from_primitive::<Flex>(output))
}

/// `activation(norm.forward(input))` for a batch norm that trains, under autodiff on the CPU
/// ([`tracked`]). Hands any other case back: inference, frozen norms, WebGPU, other backends.
///
/// # Shapes
/// - input, output: `[batch, channels, height, width]`
pub fn batch_norm_train(input: Tensor<4>, norm: &BatchNorm, activation: Option<Activation>) -> Result<Tensor<4>, Tensor<4>> {
    tracked::batch_norm_train(input, norm, activation)
}

/// `activation(input)`, in place when the input's memory is its own, on the CPU: at inference,
/// and also in training, where it registers its own backward step ([`tracked`]). Hands `input`
/// back elsewhere (WebGPU, other backends).
pub fn activate<const D: usize>(input: Tensor<D>, activation: Activation) -> Result<Tensor<D>, Tensor<D>> {
    let input = match tracked::activate(input, activation) {
        Ok(output) => return Ok(output),
        Err(input) => input,
    };
    let mut input = flex_f32(input)?;
    if !(input.is_unique() && input.layout().is_contiguous() && input.layout().start_offset() == 0) {
        input = input.to_contiguous();
    }
    activation::apply_in_parallel(activation, input.storage_mut::<f32>());
    Ok(Tensor::from_primitive::<Flex>(input))
}

/// The tensor's `flex` primitive, when it is an f32 tensor on the CPU that autodiff does not
/// track (an autodiff tensor's device is not `Flex` but `Autodiff`).
fn flex_f32<const D: usize>(tensor: Tensor<D>) -> Result<FlexTensor, Tensor<D>> {
    if !matches!(tensor.device().as_dispatch(), DispatchDevice::Flex(_)) || tensor.dtype() != DType::F32 {
        return Err(tensor);
    }
    Ok(tensor.try_into_primitive::<Flex>().expect("checked above: an f32 tensor on flex"))
}

/// The tensor's values in row-major order, copied only when its layout is not already that.
fn values(tensor: &FlexTensor) -> Cow<'_, [f32]> {
    let layout = tensor.layout();
    let count = layout.num_elements();
    if layout.is_contiguous() {
        let start = layout.start_offset();
        Cow::Borrowed(&tensor.storage::<f32>()[start..start + count])
    } else {
        Cow::Owned(tensor.to_contiguous().storage::<f32>()[..count].to_vec())
    }
}

/// A tensor of `shape` whose every value `write` sets. The memory is not zeroed first: that
/// pass cost as much as an activation, for values the kernels overwrite anyway.
fn new_tensor(shape: impl Into<Shape>, write: impl FnOnce(&mut [MaybeUninit<f32>])) -> FlexTensor {
    let shape = shape.into();
    let count = shape.num_elements();
    let mut values = Vec::with_capacity(count);
    write(&mut values.spare_capacity_mut()[..count]);
    // SAFETY: `write` initialised all `count` values (each kernel's contract).
    unsafe { values.set_len(count) };
    FlexTensor::new(burn::tensor::Bytes::from_elems(values), Layout::contiguous(shape), DType::F32)
}

/// A matrix in memory: where its first value is and how far apart its rows and columns are
/// (swapping the two reads it transposed).
#[derive(Clone, Copy)]
struct Matrix<P> {
    start: P,
    row_stride: usize,
    column_stride: usize,
}

impl<P> Matrix<P> {
    fn row_major(start: P, row_stride: usize) -> Self {
        Self { start, row_stride, column_stride: 1 }
    }

    /// Only training reads matrices transposed.
    fn transposed(start: P, row_stride: usize) -> Self {
        Self { start, row_stride: 1, column_stride: row_stride }
    }
}

/// `output = lhs · rhs` (or `output += lhs · rhs` when `accumulate`) for `rows × columns`
/// outputs, summed over `depth`, on the calling thread: gemm, which picks the vector width.
///
/// # Safety
/// Every matrix addresses only valid memory over its shape (`rows × depth`, `depth × columns`,
/// `rows × columns`), which no one else writes meanwhile; `output` need not be initialised unless
/// `accumulate`.
unsafe fn matmul(rows: usize, columns: usize, depth: usize, output: Matrix<*mut f32>, accumulate: bool, lhs: Matrix<*const f32>, rhs: Matrix<*const f32>) {
    // SAFETY: the caller's; gemm computes dst = α·dst + β·lhs·rhs, reading dst only when told.
    unsafe {
        gemm::gemm(
            rows,
            columns,
            depth,
            output.start,
            output.column_stride as isize,
            output.row_stride as isize,
            accumulate,
            lhs.start,
            lhs.column_stride as isize,
            lhs.row_stride as isize,
            rhs.start,
            rhs.column_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::activation::{relu6, silu};
    use burn::tensor::{Device, Distribution};

    use super::*;

    /// What burn computes for `activation(conv(input))`, as separate operations.
    fn reference(input: Tensor<4>, conv: &Conv2d, activation: Option<Activation>) -> Vec<f32> {
        let output = conv.forward(input);
        let output = match activation {
            Some(Activation::Relu6) => relu6(output),
            Some(Activation::Swish) => silu(output),
            None => output,
        };
        output.into_data().try_to_vec().unwrap()
    }

    fn assert_fused_matches_burn(shape: [usize; 4], conv: Conv2dConfig, activation: Option<Activation>) {
        let device = Device::flex();
        // Spread the values so that ReLU6 clamps at both ends.
        let input = Tensor::<4>::random(shape, Distribution::Normal(0.0, 4.0), &device);
        let conv = conv.with_padding(PaddingConfig2d::Same).init(&device);
        let expected = reference(input.clone(), &conv, activation);
        let fused = fused_conv(input, &conv, activation).expect("a flex f32 tensor takes the fused kernel");
        let fused: Vec<f32> = fused.into_data().try_to_vec().unwrap();
        assert_eq!(fused.len(), expected.len(), "{shape:?} {conv:?}");
        for (index, (got, want)) in fused.iter().zip(&expected).enumerate() {
            assert!((got - want).abs() <= 1e-4 * want.abs().max(1.0), "{shape:?} {conv:?} at {index}: {got} != {want}");
        }
    }

    #[test]
    fn depthwise_matches_burn_for_every_stride_kernel_and_padding() {
        // The last two take several bands of output rows, with phase rows narrower and wider
        // than a block.
        let cases = [(3, 1, 9, 7), (3, 2, 10, 10), (3, 2, 9, 11), (5, 1, 6, 13), (5, 2, 14, 14), (5, 2, 7, 7), (3, 2, 1, 2), (3, 1, 460, 7), (5, 2, 300, 120)];
        for (kernel, stride, height, width) in cases {
            for activation in [Some(Activation::Relu6), Some(Activation::Swish), None] {
                let conv = Conv2dConfig::new([6, 6], [kernel, kernel]).with_stride([stride, stride]).with_groups(6);
                assert_fused_matches_burn([2, 6, height, width], conv, activation);
            }
        }
        let without_bias = Conv2dConfig::new([4, 4], [3, 3]).with_groups(4).with_bias(false);
        assert_fused_matches_burn([1, 4, 5, 5], without_bias, Some(Activation::Relu6));
    }

    #[test]
    fn the_stem_and_small_groups_match_burn() {
        let stem = Conv2dConfig::new([3, 8], [3, 3]).with_stride([2, 2]);
        assert_fused_matches_burn([2, 3, 17, 16], stem, Some(Activation::Swish));
        let grouped = Conv2dConfig::new([6, 9], [5, 5]).with_groups(3);
        assert_fused_matches_burn([1, 6, 8, 9], grouped, Some(Activation::Relu6));
        // Five outputs per group: tasks must still keep to one group each.
        let odd_groups = Conv2dConfig::new([2, 10], [3, 3]).with_groups(2).with_stride([2, 2]);
        assert_fused_matches_burn([2, 2, 9, 9], odd_groups, None);
    }

    #[test]
    fn pointwise_matches_burn_across_tile_edges() {
        // 70 channels and 27 × 23 pixels leave partial tiles on both axes.
        for activation in [Some(Activation::Relu6), Some(Activation::Swish), None] {
            assert_fused_matches_burn([2, 24, 27, 23], Conv2dConfig::new([24, 70], [1, 1]), activation);
        }
        assert_fused_matches_burn([1, 8, 3, 3], Conv2dConfig::new([8, 5], [1, 1]).with_bias(false), None);
    }

    #[test]
    fn other_convolutions_are_handed_back() {
        let device = Device::flex();
        let input = Tensor::<4>::ones([1, 8, 8, 8], &device);
        for conv in [
            Conv2dConfig::new([8, 4], [3, 3]).with_padding(PaddingConfig2d::Same), // 8 channels per group
            Conv2dConfig::new([8, 8], [3, 3]).with_groups(8),                    // padding not "same"
            Conv2dConfig::new([8, 8], [1, 1]).with_groups(2),                    // grouped 1×1
            Conv2dConfig::new([8, 8], [3, 3]).with_groups(8).with_stride([3, 3]).with_padding(PaddingConfig2d::Same), // stride 3
            Conv2dConfig::new([8, 8], [3, 3]).with_groups(8).with_dilation([2, 2]).with_padding(PaddingConfig2d::Same),
        ] {
            let conv = conv.init(&device);
            assert!(fused_conv(input.clone(), &conv, None).is_err(), "{conv:?}");
        }
    }

    #[test]
    fn activate_leaves_a_shared_input_alone() {
        let device = Device::flex();
        let input = Tensor::<1>::from_floats([-1.0, 3.0, 9.0], &device);
        let kept = input.clone();
        let output = activate(input, Activation::Relu6).unwrap();
        assert_eq!(output.into_data().try_to_vec::<f32>().unwrap(), [0.0, 3.0, 6.0]);
        assert_eq!(kept.into_data().try_to_vec::<f32>().unwrap(), [-1.0, 3.0, 9.0]);
    }
}
