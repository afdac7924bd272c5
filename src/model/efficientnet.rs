use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use super::config::{Activation, EfficientNetConfig};
use super::conv_norm::ConvNorm;
use super::mbconv::MbConv;

/// EfficientNet (B0–B7) or EfficientNet-Lite (0–4); which one is decided by its
/// [`EfficientNetConfig`].
#[derive(Module, Debug)]
pub struct EfficientNet {
    /// 3×3 stride-2 convolution on the image.
    pub stem: ConvNorm,
    pub blocks: Vec<MbConv>,
    /// 1×1 convolution to the feature width the classifier reads.
    pub head: ConvNorm,
    pub dropout: Dropout,
    pub classifier: Linear,
    #[module(skip)]
    pub activation: Activation,
}

impl EfficientNet {
    pub fn new(config: &EfficientNetConfig, device: &Device) -> Self {
        let block_configs = config.blocks();
        let stem = ConvNorm::new(config, [3, config.stem_filters()], 3, 2, 1, device);
        let blocks = block_configs.iter().map(|block| MbConv::new(config, block, device)).collect();
        let last_filters =
            block_configs.last().map_or(config.stem_filters(), |block| block.output_filters);
        let head = ConvNorm::new(config, [last_filters, config.head_filters()], 1, 1, 1, device);
        Self {
            stem,
            blocks,
            head,
            dropout: DropoutConfig::new(config.dropout_rate).init(),
            classifier: LinearConfig::new(config.head_filters(), config.num_classes).init(device),
            activation: config.activation,
        }
    }

    /// Replaces the classifier with a freshly initialised one for `num_classes` classes, keeping
    /// the backbone: the starting point of fine-tuning.
    pub fn with_classes(mut self, num_classes: usize, device: &Device) -> Self {
        let [features, _] = self.classifier.weight.dims();
        self.classifier = LinearConfig::new(features, num_classes).init(device);
        self
    }

    /// The network for inference only: every batch norm folded into its convolution
    /// (see [`ConvNorm::fold_norm`]). Same outputs, less work.
    pub fn fold_batch_norms(mut self) -> Self {
        self.stem = self.stem.fold_norm();
        self.blocks = self.blocks.into_iter().map(MbConv::fold_norms).collect();
        self.head = self.head.fold_norm();
        self
    }

    pub fn num_classes(&self) -> usize {
        self.classifier.weight.dims()[1]
    }

    /// The pooled features the classifier reads.
    ///
    /// # Shapes
    /// - images: `[batch, 3, height, width]`, normalised
    /// - output: `[batch, head_filters]`
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = self.stem.forward(images, Some(self.activation));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.head.forward(x, Some(self.activation));
        let [batch, channels, _, _] = x.dims();
        x.mean_dim(3).mean_dim(2).reshape([batch, channels])
    }

    /// Class logits.
    ///
    /// # Shapes
    /// - images: `[batch, 3, height, width]`, normalised
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classifier.forward(self.dropout.forward(self.features(images)))
    }
}
