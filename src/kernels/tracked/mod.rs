//! Training operations on `flex` tensors under burn-autodiff, each with its own backward pass,
//! registered through burn-autodiff's public `Backward` trait so that the graph treats them as
//! any other operation.
//!
//! They replace the parts of a fine-tuning step where burn's generic lowering cost the most
//! (docs/PERFORMANCE.md): ReLU6, which burn-autodiff runs as comparisons and single-threaded
//! masked fills in both directions, and the 1×1 convolutions, whose gradients burn computes as a
//! transposed convolution and a convolution of permuted copies. Native only: the browser does
//! not train.

mod activation;
mod pointwise;

pub use activation::activate;
pub use pointwise::pointwise_conv;

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, DispatchDevice, Flex};
use burn::tensor::{DType, Tensor};
use burn_flex::FlexTensor;

/// The checkpointing these operations declare: none, as `Device::autodiff()` trains.
type Checkpointing = NoCheckpointing;

/// The tensor's autodiff primitive, when it is an f32 tensor on `flex` under autodiff.
fn autodiff_flex_f32<const D: usize>(tensor: Tensor<D>) -> Result<FloatTensor<Autodiff<Flex>>, Tensor<D>> {
    let on_flex = match tensor.device().as_dispatch() {
        DispatchDevice::Autodiff(device) => matches!(device.clone().inner(), DispatchDevice::Flex(_)),
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
