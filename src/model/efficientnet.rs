use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use super::config::EfficientNetConfig;
use super::conv_norm::ConvNorm;
use super::frozen::{carries_no_graph, is_frozen};
use super::mbconv::MbConv;
use crate::activation::Activation;

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

    /// For training only the classifier: stem, blocks and head (batch norms included) stay as
    /// they are. They then run as at inference (see [`EfficientNet::features`]).
    pub fn freeze_backbone(mut self) -> Self {
        self.stem = self.stem.freeze();
        self.blocks = self.blocks.freeze();
        self.head = self.head.freeze();
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
        if carries_no_graph(&images) && self.backbone_is_frozen() {
            // `--freeze-backbone`: no gradient will flow through the backbone, so it runs as at
            // inference (norms folded, fused kernels) instead of as burn's generic operations on
            // the training device. Only what reads the features joins the graph.
            return self.valid().fold_batch_norms().features(images.inner()).autodiff();
        }
        let x = self.feature_map(images);
        let [batch, channels, _, _] = x.dims();
        x.mean_dim(3).mean_dim(2).reshape([batch, channels])
    }

    /// The final feature map, before pooling: what a class activation map weighs.
    ///
    /// # Shapes
    /// - images: `[batch, 3, height, width]`, normalised
    /// - output: `[batch, head_filters, height / 32, width / 32]` (rounded up)
    pub fn feature_map(&self, images: Tensor<4>) -> Tensor<4> {
        let mut x = self.stem.forward(images, Some(self.activation));
        for block in &self.blocks {
            x = block.forward(x);
        }
        self.head.forward(x, Some(self.activation))
    }

    fn backbone_is_frozen(&self) -> bool {
        is_frozen(&self.stem) && is_frozen(&self.blocks) && is_frozen(&self.head)
    }

    /// Class logits.
    ///
    /// # Shapes
    /// - images: `[batch, 3, height, width]`, normalised
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classify_features(self.features(images))
    }

    /// Class logits from pooled features (see [`EfficientNet::features`]): what a head trained on
    /// features computed once reads.
    pub fn classify_features(&self, features: Tensor<2>) -> Tensor<2> {
        self.classifier.forward(self.dropout.forward(features))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use burn::tensor::{Distribution, Tolerance};

    use super::super::config::Arch;
    use super::*;

    /// B0 (squeeze-excitation included) on small images, its batch norms' running statistics
    /// moved halfway to those of one batch: far from their initial 0 and 1, so that folding them
    /// matters, yet with variances of at least one half, so that no channel amplifies rounding.
    fn model_with_statistics(images: &Tensor<4>, device: &Device) -> EfficientNet {
        let mut config = EfficientNetConfig::from_arch(Arch::B0).with_num_classes(3);
        config.batch_norm_momentum = 0.5;
        let model = config.init(device);
        let _ = model.forward(images.clone());
        model
    }

    #[test]
    fn a_frozen_backbone_computes_what_it_computes_in_the_graph() {
        let device = Device::flex().autodiff();
        device.seed(2);
        let images = Tensor::<4>::random([2, 3, 40, 40], Distribution::Normal(0.0, 1.0), &device);
        let model = model_with_statistics(&images, &device).freeze_backbone();
        // The images as they reach a training step, carrying no graph: the backbone runs as at
        // inference. Required to learn, they keep the backbone in the graph, on burn's operations.
        let fast = model.features(images.clone());
        let in_graph = model.features(images.require_grad());
        assert!(fast.is_autodiff() && !fast.is_tracked());
        assert!(in_graph.is_tracked(), "images that learn keep the backbone in the graph");
        // Summing in another order (effilens' inference kernels, folded norms) moves the last bits.
        fast.into_data().assert_approx_eq::<f32>(&in_graph.into_data(), Tolerance::rel_abs(1e-4, 1e-4));
    }

    #[test]
    fn only_the_classifier_of_a_frozen_backbone_learns() {
        let device = Device::flex().autodiff();
        let images = Tensor::<4>::random([2, 3, 40, 40], Distribution::Normal(0.0, 1.0), &device);
        let model = model_with_statistics(&images, &device).freeze_backbone();
        let gradients = model.forward(images).sum().backward();
        assert!(model.classifier.weight.grad(&gradients).is_some());
        assert!(model.head.conv.weight.grad(&gradients).is_none());
    }
}
