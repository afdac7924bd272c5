//! [`Activation::apply`]: the model's way to apply an activation, through the fused CPU kernel
//! where there is one and burn's operations elsewhere.

use burn::tensor::Tensor;
use burn::tensor::activation::{relu6, silu};

use crate::activation::Activation;
use crate::kernels;

impl Activation {
    /// On the CPU, in place, with a backward pass of its own in training ([`kernels::activate`]);
    /// with burn's operations elsewhere.
    pub fn apply<const D: usize>(self, input: Tensor<D>) -> Tensor<D> {
        match kernels::activate(input, self) {
            Ok(output) => output,
            Err(input) => match self {
                Activation::Swish => silu(input),
                Activation::Relu6 => relu6(input),
            },
        }
    }
}
