//! Training a frozen backbone's classifier on features computed once: the page's Teach, epoch by
//! epoch. `trainer train --freeze-backbone --no-augment` takes the same steps in its own loop
//! (which adds checkpoints and resumption) through [`StepPlan`], [`feature_step`] and
//! [`validate_head`], so that both give the same head from the same images and settings.

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::ModuleOptimizer;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};
use effilens_evaluation::Confusion;
use serde::{Deserialize, Serialize};

use super::features::Features;
use super::plan::StepPlan;
use super::recipe::Recipe;
use super::step::{class_weights, feature_step, sgd, training_loss};
use crate::EfficientNet;

/// One epoch of head training, as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadEpoch {
    /// Counted from 1.
    pub epoch: usize,
    pub learning_rate: f64,
    pub train_loss: f64,
    /// On the training batches as they were stepped (dropout on).
    pub train_accuracy: f64,
    pub val_loss: f64,
    pub val_accuracy: f64,
    /// Whether this epoch is the best so far by validation accuracy (the trainer's default
    /// `--monitor`); the best one is what the bundle keeps.
    pub best: bool,
}

pub struct HeadTraining {
    /// On an autodiff device, its backbone frozen.
    model: EfficientNet,
    optimizer: ModuleOptimizer,
    loss: CrossEntropyLoss,
    plan: StepPlan,
    train: Features,
    val: Features,
    device: Device,
    history: Vec<HeadEpoch>,
    /// The best epoch's network (inference mode) and its validation confusion and loss.
    best: Option<(EfficientNet, Confusion, f64)>,
}

impl HeadTraining {
    /// `model` comes from [`super::starting_model`]; `train` and `val` are the features of the
    /// training and validation images in the byte order of their paths.
    pub fn new(model: EfficientNet, recipe: &Recipe, train: Features, val: Features) -> Self {
        let device = model.devices().first().cloned().expect("a network lives on a device");
        let classes = model.num_classes();
        let plan = StepPlan::new(train.len(), recipe.batch_size, recipe.epochs, recipe.warmup_epochs, recipe.schedule, recipe.lr, recipe.seed);
        let loss = training_loss(recipe.label_smoothing, recipe.balanced_loss.then(|| class_weights(&train.classes, classes)), &device);
        Self { model, optimizer: sgd(recipe.momentum, recipe.weight_decay), loss, plan, train, val, device, history: Vec::new(), best: None }
    }

    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }

    pub fn is_done(&self) -> bool {
        self.history.len() >= self.plan.epochs
    }

    pub fn train_len(&self) -> usize {
        self.train.len()
    }

    pub fn val_len(&self) -> usize {
        self.val.len()
    }

    pub fn history(&self) -> &[HeadEpoch] {
        &self.history
    }

    /// Runs the next epoch; `None` once all have run. A non-finite loss ends training with the
    /// best epoch so far kept.
    pub fn next_epoch(&mut self) -> Result<Option<HeadEpoch>, String> {
        if self.is_done() {
            return Ok(None);
        }
        let epoch = self.history.len();
        let (mut loss_sum, mut correct) = (0.0, 0usize);
        let mut learning_rate = 0.0;
        let order = self.plan.order(epoch);
        for (batch, members) in order.chunks(self.plan.batch_size).enumerate() {
            learning_rate = self.plan.learning_rate(epoch, batch);
            let (features, targets) = self.train.batch(members, &self.device);
            self.device.seed(self.plan.batch_seed(epoch, batch));
            let model = self.model.clone();
            let ((stepped, value), logits) = feature_step(model, &mut self.optimizer, &self.loss, features, targets, learning_rate);
            if !value.is_finite() {
                self.plan.epochs = epoch;
                return Err(format!("the loss became {value} at epoch {} batch {}: stopped; the best epoch so far is kept (try a lower learning rate)", epoch + 1, batch + 1));
            }
            self.model = stepped;
            loss_sum += value * members.len() as f64;
            correct += predicted(&logits).iter().zip(members).filter(|&(&p, &m)| p == self.train.classes[m]).count();
        }
        let valid = self.model.valid();
        let (val_loss, logits) = validate_head(&valid, &self.val);
        let mut confusion = Confusion::new(valid.num_classes());
        for (&truth, predicted) in self.val.classes.iter().zip(predicted(&logits)) {
            confusion.add(truth, predicted);
        }
        let val_accuracy = confusion.accuracy().unwrap_or(0.0);
        let best = val_loss.is_finite()
            && self.best.as_ref().is_none_or(|(_, best, _)| val_accuracy > best.accuracy().unwrap_or(0.0));
        if best {
            self.best = Some((valid, confusion, val_loss));
        }
        let record = HeadEpoch {
            epoch: epoch + 1,
            learning_rate,
            train_loss: loss_sum / self.train.len().max(1) as f64,
            train_accuracy: correct as f64 / self.train.len().max(1) as f64,
            val_loss,
            val_accuracy,
            best,
        };
        self.history.push(record.clone());
        Ok(Some(record))
    }

    /// Stops after the epochs run so far (Cancel): the best of them is kept.
    pub fn stop(&mut self) {
        self.plan.epochs = self.history.len();
    }

    /// The best epoch's network for inference, its validation confusion matrix and loss; `None`
    /// before the first epoch.
    pub fn best(&self) -> Option<&(EfficientNet, Confusion, f64)> {
        self.best.as_ref()
    }

    /// The best network's class probabilities for each validation image, in the order given.
    pub fn validation_probabilities(&self) -> Vec<Vec<f32>> {
        let Some((model, _, _)) = &self.best else { return Vec::new() };
        let (_, logits) = validate_head(model, &self.val);
        let classes = model.num_classes();
        let values: Vec<f32> = softmax(logits, 1).into_data().try_to_vec().expect("f32 probabilities");
        values.chunks(classes).map(<[f32]>::to_vec).collect()
    }
}

/// The mean (unsmoothed) cross-entropy of a head in inference mode on `data`, and its logits:
/// the validation after each epoch, in the trainer and the page.
pub fn validate_head(model: &EfficientNet, data: &Features) -> (f64, Tensor<2>) {
    let device = model.devices().first().cloned().expect("a network lives on a device");
    let members: Vec<usize> = (0..data.len()).collect();
    let (features, targets) = data.batch(&members, &device);
    let logits = model.classify_features(features);
    let loss = CrossEntropyLossConfig::new().init(&device).forward(logits.clone(), targets);
    (f64::from(loss.into_scalar::<f32>()), logits)
}

/// The argmax of each row.
pub fn predicted(logits: &Tensor<2>) -> Vec<usize> {
    logits.clone().argmax(1).into_data().iter::<i64>().map(|class| class as usize).collect()
}
