//! The training loop proper: epochs of shuffled batches, validation after each, checkpoints,
//! metrics files, early stopping, and the stops on Ctrl-C (saved, resumable) and on a
//! non-finite loss (not saved).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLoss;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor};
use effilens::bundle::{WeightsDtype, encode_weights};
use effilens::classifier::forward_batch;
use effilens::teach::{Features, StepPlan, class_weights, feature_step, image_batch, predicted, training_loss, training_step, validate_head, validate_images};
use effilens::{EfficientNet, Preprocessor};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::metrics_files::write_metrics;
use crate::checkpoint::{Checkpoint, CheckpointState, EpochRecord};
use crate::data_parallel::DataParallel;
use crate::images::DecodedImages;
use effilens_evaluation::Confusion;
use crate::settings::TrainSettings;

/// Set by Ctrl-C; the loop saves and stops at the next batch boundary.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C stop the loop at the next batch boundary, after saving `last.ckpt`.
pub fn stop_on_ctrl_c() -> Result<()> {
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst)).context("cannot install the Ctrl-C handler")
}

/// A run under way: its settings, its state as checkpoints keep it, and where it trains.
pub struct Run {
    pub settings: TrainSettings,
    /// Where checkpoints and metrics files go.
    pub checkpoint_dir: PathBuf,
    pub state: CheckpointState,
    pub preprocessor: Preprocessor,
    /// Where the model and the optimizer live (the first `--device`).
    pub device: Device,
    /// With several devices: the data-parallel workers, the first device's among them.
    pub parallel: Option<DataParallel>,
    /// A frozen backbone without augmentation sees the same pixels every epoch: the training and
    /// validation images' pooled features, computed once, stand in for them (the page's Teach
    /// trains on the same; see `effilens::teach`).
    pub features: Option<(Features, Features)>,
}

impl Run {
    pub fn train(
        &mut self,
        mut model: EfficientNet,
        optimizer: &mut ModuleOptimizer,
        train: &DecodedImages,
        val: &DecodedImages,
    ) -> Result<std::process::ExitCode> {
        let settings = &self.settings;
        let plan = StepPlan::new(train.images.len(), settings.batch_size, settings.epochs, settings.warmup_epochs, settings.schedule, settings.lr, settings.seed);
        let loss = training_loss(
            self.settings.label_smoothing,
            self.settings.balanced_loss.then(|| class_weights(&train.classes, self.state.classes.len())),
            &self.device,
        );
        eprintln!(
            "training {} on {} images ({} classes: {}), validating on {}",
            self.state.arch,
            train.images.len(),
            self.state.classes.len(),
            self.state.classes.join(", "),
            val.images.len()
        );

        while self.state.progress.epoch < self.settings.epochs {
            let epoch = self.state.progress.epoch;
            let order = plan.order(epoch);
            let bar = progress_bar(train.images.len(), epoch, self.settings.epochs);
            bar.set_position(self.state.progress.images as u64);
            let started = Instant::now();
            let images_before = self.state.progress.images;
            let mut learning_rate = 0.0;

            for (batch, members) in order.chunks(self.settings.batch_size).enumerate().skip(self.state.progress.batch) {
                if INTERRUPTED.load(Ordering::SeqCst) {
                    bar.abandon();
                    let path = self.save(&model, optimizer, "last")?;
                    eprintln!("interrupted: saved {}; continue with --resume {}", path.display(), path.display());
                    return Ok(std::process::ExitCode::from(130));
                }
                learning_rate = plan.learning_rate(epoch, batch);
                let (stepped, value) = self.step(model, optimizer, &loss, train, members, &plan, epoch, batch, learning_rate)?;
                // A non-finite loss has already spoiled `stepped`: stop before anything keeps it.
                if !value.is_finite() {
                    bar.abandon();
                    bail!(
                        "the loss became {value} at epoch {} batch {}: stopped without saving; {} (try a lower --lr)",
                        epoch + 1,
                        batch + 1,
                        self.last_good()
                    );
                }
                model = stepped;
                let progress = &mut self.state.progress;
                progress.batch = batch + 1;
                progress.loss_sum += value * members.len() as f64;
                progress.images += members.len();
                bar.set_position(progress.images as u64);
            }
            bar.finish_and_clear();
            let seconds = started.elapsed().as_secs_f64();
            let record = self.finish_epoch(&model, val, learning_rate, images_before, seconds)?;
            // The loss is checked before each step; weights that the epoch's last step blew up
            // show in the validation loss. Nothing of them is saved.
            if !record.val_loss.is_finite() {
                bail!(
                    "the validation loss became {} after epoch {}: the weights diverged in its last step; stopped without saving; {} (try a lower --lr)",
                    record.val_loss,
                    record.epoch,
                    self.last_good()
                );
            }
            self.print_epoch(&record);
            let improved = self.record_epoch(record);
            self.save(&model, optimizer, "last")?;
            if improved {
                self.save(&model, optimizer, "best")?;
            }
            if (epoch + 1).is_multiple_of(self.settings.save_interval.max(1)) {
                self.save(&model, optimizer, &format!("epoch-{:03}", epoch + 1))?;
            }
            write_metrics(&self.checkpoint_dir, &self.state, self.settings.monitor)?;
            // burn-train's `MetricEarlyStoppingStrategy` reads its `Learner`'s metric store; here the
            // count lives in the checkpoint, so that a resumed run keeps its patience.
            if let Some(patience) = self.settings.early_stopping
                && self.state.progress.epochs_without_improvement >= patience
            {
                eprintln!("early stopping: no improvement of {:?} in {patience} epochs", self.settings.monitor);
                break;
            }
        }
        if let Some((score, epoch)) = self.state.progress.best {
            eprintln!("best epoch {epoch} ({:?} {score:.4}): {}", self.settings.monitor, self.checkpoint_dir.join("best.ckpt").display());
        }
        Ok(std::process::ExitCode::SUCCESS)
    }

    /// One optimisation step on the batch `members` of `epoch`, on the run's device or, with
    /// several, in data parallel. Returns the updated model and the batch's mean loss.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        model: EfficientNet,
        optimizer: &mut ModuleOptimizer,
        loss: &CrossEntropyLoss,
        train: &DecodedImages,
        members: &[usize],
        plan: &StepPlan,
        epoch: usize,
        batch: usize,
        learning_rate: f64,
    ) -> Result<(EfficientNet, f64)> {
        // Dropout and drop-connect draw from the device's generator: tie it to the batch.
        let batch_seed = plan.batch_seed(epoch, batch);
        if let Some((features, _)) = &self.features {
            let (inputs, targets) = features.batch(members, &self.device);
            self.device.seed(batch_seed);
            return Ok(feature_step(model, optimizer, loss, inputs, targets, learning_rate).0);
        }
        match &self.parallel {
            None => {
                let (inputs, targets) = self.batch_tensors(train, members, plan, epoch, &self.device);
                self.device.seed(batch_seed);
                Ok(training_step(model, optimizer, loss, inputs, targets, learning_rate))
            }
            Some(parallel) => {
                let shards = parallel.shards(members, |index, shard, device| {
                    device.seed(effilens::teach::derive_seed(batch_seed, index as u64, 0));
                    self.batch_tensors(train, shard, plan, epoch, device)
                });
                parallel.step(model, optimizer, loss, shards, learning_rate)
            }
        }
    }

    /// Augmented (unless turned off), normalised inputs of one batch and their classes, on `device`.
    ///
    /// # Shapes
    /// - inputs: `[members.len(), 3, image_size, image_size]`
    /// - classes: `[members.len()]`
    fn batch_tensors(
        &self,
        data: &DecodedImages,
        members: &[usize],
        plan: &StepPlan,
        epoch: usize,
        device: &Device,
    ) -> (Tensor<4>, Tensor<1, Int>) {
        image_batch(&self.preprocessor, &data.images, &data.classes, members, (!self.settings.no_augment).then_some((plan, epoch)), device)
    }

    fn finish_epoch(
        &mut self,
        model: &EfficientNet,
        val: &DecodedImages,
        learning_rate: f64,
        images_before: usize,
        seconds: f64,
    ) -> Result<EpochRecord> {
        let progress = &mut self.state.progress;
        let train_loss = progress.loss_sum / progress.images.max(1) as f64;
        let images_this_session = progress.images - images_before;
        let (val_loss, confusion) = match &self.features {
            Some((_, val_features)) => evaluate_features(&model.valid(), val_features),
            None => evaluate(&model.valid(), val, &self.preprocessor, self.settings.batch_size),
        };
        let per_class = confusion.per_class();
        progress.epoch += 1;
        progress.batch = 0;
        progress.loss_sum = 0.0;
        progress.images = 0;
        Ok(EpochRecord {
            epoch: progress.epoch,
            learning_rate,
            train_loss,
            val_loss,
            accuracy: confusion.accuracy().unwrap_or(0.0),
            macro_f1: confusion.macro_figures().f1,
            precision: per_class.iter().map(|figures| figures.precision).collect(),
            recall: per_class.iter().map(|figures| figures.recall).collect(),
            f1: per_class.iter().map(|figures| figures.f1).collect(),
            images_per_second: images_this_session as f64 / seconds.max(1e-9),
            seconds,
        })
    }

    /// Where the last good state is, for a message that stops the run.
    fn last_good(&self) -> String {
        let last = self.checkpoint_dir.join("last.ckpt");
        if last.is_file() { format!("the last good checkpoint is {}", last.display()) } else { "no checkpoint was written".to_owned() }
    }

    fn print_epoch(&self, record: &EpochRecord) {
        let per_class: Vec<String> = self
            .state
            .classes
            .iter()
            .enumerate()
            .map(|(c, name)| format!("{name} P {} R {}", fixed3(record.precision[c]), fixed3(record.recall[c])))
            .collect();
        println!(
            "epoch {}/{}  train loss {:.4}  val loss {:.4}  accuracy {:.4}  {}  {:.1} img/s",
            record.epoch,
            self.settings.epochs,
            record.train_loss,
            record.val_loss,
            record.accuracy,
            per_class.join("  "),
            record.images_per_second
        );
    }

    /// Adds the epoch to the history; says whether it is the best so far.
    fn record_epoch(&mut self, record: EpochRecord) -> bool {
        let score = record.score(self.settings.monitor);
        let progress = &mut self.state.progress;
        let improved = progress.best.is_none_or(|(best, _)| score > best);
        if improved {
            progress.best = Some((score, record.epoch));
            progress.epochs_without_improvement = 0;
        } else {
            progress.epochs_without_improvement += 1;
        }
        self.state.history.push(record);
        improved
    }

    fn save(&self, model: &EfficientNet, optimizer: &ModuleOptimizer, name: &str) -> Result<PathBuf> {
        let path = self.checkpoint_dir.join(format!("{name}.{}", crate::checkpoint::EXTENSION));
        let checkpoint = Checkpoint {
            state: self.state.clone(),
            model: encode_weights(model, WeightsDtype::F32)?,
            optimizer: optimizer.into_bytes().map_err(|error| anyhow::anyhow!("{error:?}"))?.to_vec(),
        };
        checkpoint.write_atomic(&path)?;
        Ok(path)
    }
}

fn progress_bar(images: usize, epoch: usize, epochs: usize) -> ProgressBar {
    let bar = ProgressBar::new(images as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} images  {per_sec}  ETA {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("epoch {}/{epochs}", epoch + 1));
    bar
}

/// Three decimals, or "—" for a figure that is undefined (a class never predicted, say).
fn fixed3(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value:.3}"))
}

/// Mean cross-entropy and the confusion matrix of `model` (in inference mode) on `data`.
pub fn evaluate(model: &EfficientNet, data: &DecodedImages, preprocessor: &Preprocessor, batch_size: usize) -> (f64, Confusion) {
    let (loss, logits) = validate_images(model, preprocessor, &data.images, &data.classes, batch_size);
    (loss, confusion_of(model, &data.classes, &logits))
}

/// The confusion matrix of `logits` against the true `classes`.
fn confusion_of(model: &EfficientNet, classes: &[usize], logits: &Tensor<2>) -> Confusion {
    let mut confusion = Confusion::new(model.num_classes());
    for (&truth, prediction) in classes.iter().zip(predicted(logits)) {
        confusion.add(truth, prediction);
    }
    confusion
}

/// [`evaluate`] on features computed once.
fn evaluate_features(model: &EfficientNet, data: &Features) -> (f64, Confusion) {
    let (loss, logits) = validate_head(model, data);
    (loss, confusion_of(model, &data.classes, &logits))
}

/// The pooled features of every image of `data`, through the frozen backbone as at inference
/// (norms folded), `batch_size` at a time.
pub fn compute_features(model: &EfficientNet, data: &DecodedImages, preprocessor: &Preprocessor, batch_size: usize) -> Features {
    let extractor = model.valid().fold_batch_norms();
    let device = extractor.devices().first().cloned().unwrap_or_else(Device::flex);
    let bar = ProgressBar::new(data.images.len() as u64);
    bar.set_style(ProgressStyle::with_template("features [{bar:30}] {pos}/{len} images  {per_sec}").expect("a valid template").progress_chars("=> "));
    let mut features = Features::default();
    let indices: Vec<usize> = (0..data.images.len()).collect();
    for members in indices.chunks(batch_size.max(1)) {
        let inputs: Vec<Vec<f32>> = members.par_iter().map(|&i| preprocessor.normalize(&data.images[i])).collect();
        let rows = forward_batch(&inputs, preprocessor, &device, |batch| extractor.features(batch));
        let rows: Vec<f32> = rows.into_data().try_to_vec().expect("f32 features");
        features.width = rows.len() / members.len();
        for (row, &member) in rows.chunks(features.width).zip(members) {
            features.push(row, data.classes[member]);
        }
        bar.inc(members.len() as u64);
    }
    bar.finish_and_clear();
    features
}
