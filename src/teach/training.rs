//! Training in the page's Teach, one step at a time so that Cancel is answered between any two:
//! a frozen backbone's classifier on features computed once ("head"), or the whole network on
//! images augmented afresh each epoch ("network"). `trainer train` takes the same steps in its
//! own loop (which adds checkpoints and resumption) through [`StepPlan`], the steps of
//! [`super::step`], [`validate_head`] and [`validate_images`], so that both give the same network
//! from the same images and settings.

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::ModuleOptimizer;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};
use effilens_evaluation::Confusion;
use serde::{Deserialize, Serialize};

use super::features::Features;
use super::images::{LabeledImages, image_batch, validate_images};
use super::plan::StepPlan;
use super::recipe::Recipe;
use super::step::{class_weights, sgd, step_on_logits, training_loss};
use crate::{EfficientNet, Preprocessor};

/// One epoch, as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeachEpoch {
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

/// What a step did: a batch of an epoch, or the epoch's last batch and its validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stepped {
    Batch { epoch: usize, batch: usize, batches: usize },
    Epoch(TeachEpoch),
}

/// What training steps on: the images' pooled features, or the images.
pub enum Examples {
    Features { train: Features, val: Features },
    Images { train: LabeledImages, val: LabeledImages, preprocessor: Preprocessor, augment: bool },
}

impl Examples {
    fn train_classes(&self) -> &[usize] {
        match self {
            Self::Features { train, .. } => &train.classes,
            Self::Images { train, .. } => &train.classes,
        }
    }

    fn val_classes(&self) -> &[usize] {
        match self {
            Self::Features { val, .. } => &val.classes,
            Self::Images { val, .. } => &val.classes,
        }
    }

    /// Validation loss and logits of `model` in inference mode.
    fn validate(&self, model: &EfficientNet, batch_size: usize) -> (f64, Tensor<2>) {
        match self {
            Self::Features { val, .. } => validate_head(model, val),
            Self::Images { val, preprocessor, .. } => validate_images(model, preprocessor, &val.images, &val.classes, batch_size),
        }
    }
}

/// The epoch under way: its sums so far.
#[derive(Default)]
struct EpochSums {
    batch: usize,
    loss: f64,
    correct: usize,
    images: usize,
    learning_rate: f64,
}

pub struct Training {
    /// On an autodiff device; its backbone frozen when training on features.
    model: EfficientNet,
    optimizer: ModuleOptimizer,
    loss: CrossEntropyLoss,
    plan: StepPlan,
    examples: Examples,
    device: Device,
    history: Vec<TeachEpoch>,
    epoch: EpochSums,
    /// The best epoch's network (inference mode) and its validation confusion and loss.
    best: Option<(EfficientNet, Confusion, f64)>,
}

impl Training {
    /// `model` comes from [`super::with_classifier_for`]; the examples are in the byte order of
    /// their paths.
    pub fn new(model: EfficientNet, recipe: &Recipe, examples: Examples) -> Self {
        let device = model.devices().first().cloned().expect("a network lives on a device");
        let classes = model.num_classes();
        let train_classes = examples.train_classes();
        let plan = StepPlan::new(train_classes.len(), recipe.batch_size, recipe.epochs, recipe.warmup_epochs, recipe.schedule, recipe.lr, recipe.seed);
        let loss = training_loss(recipe.label_smoothing, recipe.balanced_loss.then(|| class_weights(train_classes, classes)), &device);
        let optimizer = sgd(recipe.momentum, recipe.weight_decay);
        Self { model, optimizer, loss, plan, examples, device, history: Vec::new(), epoch: EpochSums::default(), best: None }
    }

    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }

    pub fn is_done(&self) -> bool {
        self.history.len() >= self.plan.epochs
    }

    pub fn train_len(&self) -> usize {
        self.examples.train_classes().len()
    }

    pub fn val_len(&self) -> usize {
        self.examples.val_classes().len()
    }

    pub fn history(&self) -> &[TeachEpoch] {
        &self.history
    }

    /// Runs the next epoch's remaining steps; `None` once all have run.
    pub fn next_epoch(&mut self) -> Result<Option<TeachEpoch>, String> {
        loop {
            match self.next_step()? {
                None => return Ok(None),
                Some(Stepped::Epoch(record)) => return Ok(Some(record)),
                Some(Stepped::Batch { .. }) => {}
            }
        }
    }

    /// Runs the next batch, and after an epoch's last the validation; `None` once all have run.
    /// A non-finite loss ends training with the best epoch so far kept.
    pub fn next_step(&mut self) -> Result<Option<Stepped>, String> {
        if self.is_done() {
            return Ok(None);
        }
        let (epoch, batch) = (self.history.len(), self.epoch.batch);
        let order = self.plan.order(epoch);
        let members = order.chunks(self.plan.batch_size).nth(batch).expect("a batch of the epoch");
        let learning_rate = self.plan.learning_rate(epoch, batch);
        let (logits, targets) = match &self.examples {
            Examples::Features { train, .. } => {
                let (features, targets) = train.batch(members, &self.device);
                self.device.seed(self.plan.batch_seed(epoch, batch));
                (self.model.classify_features(features), targets)
            }
            Examples::Images { train, preprocessor, augment, .. } => {
                let augmented = augment.then_some((&self.plan, epoch));
                let (inputs, targets) = image_batch(preprocessor, &train.images, &train.classes, members, augmented, &self.device);
                self.device.seed(self.plan.batch_seed(epoch, batch));
                (self.model.forward(inputs), targets)
            }
        };
        let ((stepped, value), logits) = step_on_logits(self.model.clone(), &mut self.optimizer, &self.loss, logits, targets, learning_rate);
        if !value.is_finite() {
            self.plan.epochs = epoch;
            return Err(format!("the loss became {value} at epoch {} batch {}: stopped; the best epoch so far is kept (try a lower learning rate)", epoch + 1, batch + 1));
        }
        self.model = stepped;
        let classes = self.examples.train_classes();
        let sums = &mut self.epoch;
        sums.batch += 1;
        sums.loss += value * members.len() as f64;
        sums.correct += predicted(&logits).iter().zip(members).filter(|&(&p, &m)| p == classes[m]).count();
        sums.images += members.len();
        sums.learning_rate = learning_rate;
        if sums.batch < self.plan.batches_per_epoch {
            return Ok(Some(Stepped::Batch { epoch: epoch + 1, batch: batch + 1, batches: self.plan.batches_per_epoch }));
        }
        Ok(Some(Stepped::Epoch(self.finish_epoch())))
    }

    fn finish_epoch(&mut self) -> TeachEpoch {
        let sums = std::mem::take(&mut self.epoch);
        let valid = self.model.valid();
        let (val_loss, logits) = self.examples.validate(&valid, self.plan.batch_size);
        let mut confusion = Confusion::new(valid.num_classes());
        for (&truth, predicted) in self.examples.val_classes().iter().zip(predicted(&logits)) {
            confusion.add(truth, predicted);
        }
        let val_accuracy = confusion.accuracy().unwrap_or(0.0);
        let best = val_loss.is_finite()
            && self.best.as_ref().is_none_or(|(_, best, _)| val_accuracy > best.accuracy().unwrap_or(0.0));
        if best {
            self.best = Some((valid, confusion, val_loss));
        }
        let record = TeachEpoch {
            epoch: self.history.len() + 1,
            learning_rate: sums.learning_rate,
            train_loss: sums.loss / sums.images.max(1) as f64,
            train_accuracy: sums.correct as f64 / sums.images.max(1) as f64,
            val_loss,
            val_accuracy,
            best,
        };
        self.history.push(record.clone());
        record
    }

    /// Stops after the epochs run so far (Cancel): the best of them is kept, and the steps of
    /// an epoch under way are dropped.
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
        let (_, logits) = self.examples.validate(model, self.plan.batch_size);
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
