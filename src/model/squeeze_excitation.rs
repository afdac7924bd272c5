use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use crate::activation::Activation;

/// Squeeze-and-excitation: rescales each channel by a gate computed from the global average.
#[derive(Module, Debug)]
pub struct SqueezeExcitation {
    /// 1×1 convolution down to the squeezed width (with bias).
    pub reduce: Conv2d,
    /// 1×1 convolution back up to the block's width (with bias).
    pub expand: Conv2d,
    #[module(skip)]
    pub activation: Activation,
}

impl SqueezeExcitation {
    pub fn new(channels: usize, squeezed: usize, activation: Activation, device: &Device) -> Self {
        Self {
            reduce: Conv2dConfig::new([channels, squeezed], [1, 1]).init(device),
            expand: Conv2dConfig::new([squeezed, channels], [1, 1]).init(device),
            activation,
        }
    }

    /// # Shapes
    /// - input and output: `[batch, channels, height, width]`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let squeezed = input.clone().mean_dim(3).mean_dim(2);
        let gate = self.expand.forward(self.activation.apply(self.reduce.forward(squeezed)));
        input * sigmoid(gate)
    }
}
