use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

use super::config::EfficientNetConfig;
use crate::activation::Activation;
use crate::kernels;

/// A bias-free convolution followed by batch normalisation: the unit EfficientNet is made of.
#[derive(Module, Debug)]
pub struct ConvNorm {
    pub conv: Conv2d,
    pub norm: BatchNorm,
    /// Set by [`ConvNorm::fold_norm`]: the convolution already applies the normalisation.
    pub norm_folded: bool,
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
        Self { conv, norm, norm_folded: false }
    }

    /// For inference: folds the batch norm's running statistics and affine parameters into the
    /// convolution (`w' = w·γ/√(σ²+ε)`, `b' = β − μ·γ/√(σ²+ε)`), so one pass replaces four.
    /// Training must not use the result: the statistics are frozen into the weights.
    pub fn fold_norm(mut self) -> Self {
        if self.norm_folded {
            return self;
        }
        let scale = self.norm.gamma.val() / (self.norm.running_var.value() + self.norm.epsilon).sqrt();
        let shift = self.norm.beta.val() - self.norm.running_mean.value() * scale.clone();
        let [channels] = scale.dims();
        let weight = self.conv.weight.val() * scale.reshape([channels, 1, 1, 1]);
        self.conv.weight = Param::from_tensor(weight);
        self.conv.bias = Some(Param::from_tensor(shift));
        self.norm_folded = true;
        self
    }

    /// The unit, then `activation` if there is one. Once the norm is folded, the convolution, its
    /// bias and the activation run as one pass where [`kernels::fused_conv`] can; before (in
    /// training), the convolution and the batch norm with the activation take effilens' kernels
    /// where there are some ([`kernels::batch_norm_train`]).
    ///
    /// # Shapes
    /// - input: `[batch, channels[0], height, width]`
    /// - output: `[batch, channels[1], ceil(height / stride), ceil(width / stride)]`
    pub fn forward(&self, input: Tensor<4>, activation: Option<Activation>) -> Tensor<4> {
        let fused_activation = if self.norm_folded { activation } else { None };
        let output = match kernels::fused_conv(input, &self.conv, fused_activation) {
            Ok(output) if self.norm_folded => return output,
            Ok(output) => output,
            Err(input) => self.conv.forward(input),
        };
        let output = match self.norm_folded {
            true => output,
            false => match kernels::batch_norm_train(output, &self.norm, activation) {
                Ok(output) => return output,
                Err(output) => self.norm.forward(output),
            },
        };
        match activation {
            Some(activation) => activation.apply(output),
            None => output,
        }
    }
}
