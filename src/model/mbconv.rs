use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::config::{BlockConfig, EfficientNetConfig};
use super::conv_norm::ConvNorm;
use super::drop_connect::DropConnect;
use super::squeeze_excitation::SqueezeExcitation;
use crate::activation::Activation;

/// Mobile inverted bottleneck: expand (1×1), depthwise conv, optional squeeze-and-excitation,
/// project (1×1), and a residual connection when the shape allows one.
#[derive(Module, Debug)]
pub struct MbConv {
    /// Absent when the expansion ratio is 1.
    pub expand: Option<ConvNorm>,
    pub depthwise: ConvNorm,
    pub squeeze_excitation: Option<SqueezeExcitation>,
    pub project: ConvNorm,
    pub drop_connect: DropConnect,
    #[module(skip)]
    pub activation: Activation,
    pub residual: bool,
}

impl MbConv {
    pub fn new(network: &EfficientNetConfig, block: &BlockConfig, device: &Device) -> Self {
        let input = block.input_filters;
        let expanded = input * block.expand_ratio;
        let expand = (block.expand_ratio != 1)
            .then(|| ConvNorm::new(network, [input, expanded], 1, 1, 1, device));
        let depthwise =
            ConvNorm::new(network, [expanded, expanded], block.kernel_size, block.stride, expanded, device);
        // lukemelas sizes the squeeze from the block's input channels, not the expanded ones.
        let squeeze_excitation = block.se_ratio.map(|ratio| {
            let squeezed = ((input as f64 * ratio) as usize).max(1);
            SqueezeExcitation::new(expanded, squeezed, network.activation, device)
        });
        let project = ConvNorm::new(network, [expanded, block.output_filters], 1, 1, 1, device);
        Self {
            expand,
            depthwise,
            squeeze_excitation,
            project,
            drop_connect: DropConnect::new(block.drop_connect_prob),
            activation: network.activation,
            residual: block.stride == 1 && input == block.output_filters,
        }
    }

    /// See [`ConvNorm::fold_norm`].
    pub fn fold_norms(mut self) -> Self {
        self.expand = self.expand.map(ConvNorm::fold_norm);
        self.depthwise = self.depthwise.fold_norm();
        self.project = self.project.fold_norm();
        self
    }

    /// # Shapes
    /// - input: `[batch, input_filters, height, width]`
    /// - output: `[batch, output_filters, ceil(height / stride), ceil(width / stride)]`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let mut x = input.clone();
        if let Some(expand) = &self.expand {
            x = expand.forward(x, Some(self.activation));
        }
        x = self.depthwise.forward(x, Some(self.activation));
        if let Some(squeeze_excitation) = &self.squeeze_excitation {
            x = squeeze_excitation.forward(x);
        }
        x = self.project.forward(x, None);
        if self.residual { self.drop_connect.forward(x) + input } else { x }
    }
}
