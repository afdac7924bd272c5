//! One optimisation step and its parts, shared by `trainer train` and `trainer bench` (which
//! times the step a default fine-tune takes), and the seeds that make every step reproducible.

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use effilens::EfficientNet;

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

/// One optimisation step on a batch: forward, loss, backward, SGD update. Returns the updated
/// model and the batch's mean loss (read back, so the step has run when this returns).
pub fn training_step(
    model: EfficientNet,
    optimizer: &mut ModuleOptimizer,
    loss: &CrossEntropyLoss,
    inputs: Tensor<4>,
    targets: Tensor<1, Int>,
    learning_rate: f64,
) -> (EfficientNet, f64) {
    let batch_loss = loss.forward(model.forward(inputs), targets);
    let value = f64::from(batch_loss.clone().into_scalar::<f32>());
    let gradients = GradientsParams::from_grads(batch_loss.backward(), &model);
    (optimizer.step(learning_rate, model, gradients), value)
}

/// A seed for one (run, epoch, item) triple: splitmix64 over the three, so every random draw can
/// be recomputed on resume without replaying a stream.
pub fn derive_seed(seed: u64, epoch: usize, item: usize) -> u64 {
    let mut z = seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (item as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A batch's classes as the loss's targets: `[count]`, on `device`.
pub fn class_tensor(classes: impl Iterator<Item = usize>, device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = classes.map(|class| class as i64).collect();
    let count = values.len();
    Tensor::from_data(TensorData::new(values, [count]), device)
}

/// Inverse class frequency, normalised to average 1.
pub fn class_weights(classes: &[usize], count: usize) -> Vec<f32> {
    let mut frequency = vec![0usize; count];
    for &class in classes {
        frequency[class] += 1;
    }
    let inverse: Vec<f32> = frequency.iter().map(|&n| 1.0 / n.max(1) as f32).collect();
    let mean = inverse.iter().sum::<f32>() / count as f32;
    inverse.iter().map(|weight| weight / mean).collect()
}
