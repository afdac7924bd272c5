//! One optimisation step and its parts: the optimizer, the loss and the batch's targets. The
//! trainer's steps on images and the head's steps on features are the same step on different
//! inputs.

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::EfficientNet;

/// SGD with momentum and weight decay: the optimizer of every fine-tune.
pub fn sgd(momentum: f64, weight_decay: f64) -> ModuleOptimizer {
    SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new().with_momentum(momentum)))
        .with_weight_decay(Some(WeightDecayConfig::new(weight_decay as f32)))
        .init()
}

/// The training loss: cross-entropy, label-smoothed when `label_smoothing` > 0, weighted per
/// class when `class_weights` are given.
pub fn training_loss(label_smoothing: f32, class_weights: Option<Vec<f32>>, device: &Device) -> CrossEntropyLoss {
    CrossEntropyLossConfig::new()
        .with_smoothing((label_smoothing > 0.0).then_some(label_smoothing))
        .with_weights(class_weights)
        .init(device)
}

/// One step on a batch of images: forward, loss, backward, SGD update. Returns the updated model
/// and the batch's mean loss (read back, so the step has run when this returns).
pub fn training_step(
    model: EfficientNet,
    optimizer: &mut ModuleOptimizer,
    loss: &CrossEntropyLoss,
    inputs: Tensor<4>,
    targets: Tensor<1, Int>,
    learning_rate: f64,
) -> (EfficientNet, f64) {
    let logits = model.forward(inputs);
    step_on_logits(model, optimizer, loss, logits, targets, learning_rate).0
}

/// One step of a frozen backbone's classifier on the batch's pooled features (see
/// [`EfficientNet::classify_features`]): what [`training_step`] does with `--freeze-backbone`,
/// without running the backbone again. Also returns the batch's logits.
pub fn feature_step(
    model: EfficientNet,
    optimizer: &mut ModuleOptimizer,
    loss: &CrossEntropyLoss,
    features: Tensor<2>,
    targets: Tensor<1, Int>,
    learning_rate: f64,
) -> ((EfficientNet, f64), Tensor<2>) {
    let logits = model.classify_features(features);
    step_on_logits(model, optimizer, loss, logits, targets, learning_rate)
}

/// The step itself, on logits the network computed from the batch: loss, backward, SGD update.
pub(super) fn step_on_logits(
    model: EfficientNet,
    optimizer: &mut ModuleOptimizer,
    loss: &CrossEntropyLoss,
    logits: Tensor<2>,
    targets: Tensor<1, Int>,
    learning_rate: f64,
) -> ((EfficientNet, f64), Tensor<2>) {
    let batch_loss = loss.forward(logits.clone(), targets);
    let value = f64::from(batch_loss.clone().into_scalar::<f32>());
    let gradients = GradientsParams::from_grads(batch_loss.backward(), &model);
    ((optimizer.step(learning_rate, model, gradients), value), logits.detach())
}

/// A batch's classes as the loss's targets: `[count]`, on `device`.
pub fn class_tensor(classes: impl Iterator<Item = usize>, device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = classes.map(|class| class as i64).collect();
    let count = values.len();
    Tensor::from_data(TensorData::new(values, [count]), device)
}

/// Inverse class frequency, normalised to average 1 (`--balanced-loss`).
pub fn class_weights(classes: &[usize], count: usize) -> Vec<f32> {
    let mut frequency = vec![0usize; count];
    for &class in classes {
        frequency[class] += 1;
    }
    let inverse: Vec<f32> = frequency.iter().map(|&n| 1.0 / n.max(1) as f32).collect();
    let mean = inverse.iter().sum::<f32>() / count as f32;
    inverse.iter().map(|weight| weight / mean).collect()
}
