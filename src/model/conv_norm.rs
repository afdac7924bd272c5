use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

use super::config::EfficientNetConfig;

/// A bias-free convolution followed by batch normalisation: the unit EfficientNet is made of.
#[derive(Module, Debug)]
pub struct ConvNorm {
    pub conv: Conv2d,
    pub norm: BatchNorm,
}

impl ConvNorm {
    /// `groups == channels[0]` makes it depthwise.
    ///
    /// Padding is TensorFlow's "same" (extra row/column at the bottom/right when odd), as in
    /// the TF-trained checkpoints lukemelas converted; burn computes it from the input size.
    pub fn new(
        config: &EfficientNetConfig,
        channels: [usize; 2],
        kernel_size: usize,
        stride: usize,
        groups: usize,
        device: &Device,
    ) -> Self {
        let conv = Conv2dConfig::new(channels, [kernel_size, kernel_size])
            .with_stride([stride, stride])
            .with_groups(groups)
            .with_padding(PaddingConfig2d::Same)
            .with_bias(false)
            .init(device);
        let norm = BatchNormConfig::new(channels[1])
            .with_epsilon(config.batch_norm_epsilon)
            .with_momentum(config.batch_norm_momentum)
            .init(device);
        Self { conv, norm }
    }

    /// # Shapes
    /// - input: `[batch, channels[0], height, width]`
    /// - output: `[batch, channels[1], ceil(height / stride), ceil(width / stride)]`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        self.norm.forward(self.conv.forward(input))
    }
}
