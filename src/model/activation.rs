use burn::tensor::Tensor;
use burn::tensor::activation::{relu6, silu};

use super::config::Activation;

impl Activation {
    pub fn apply<const D: usize>(self, input: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Swish => silu(input),
            Activation::Relu6 => relu6(input),
        }
    }
}
