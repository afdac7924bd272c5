//! `trainer train`: fine-tune on an ImageFolder.
//!
//! The loop is our own rather than burn-train's `Learner`: exact resumption needs the run's
//! position inside an epoch and every random draw tied to (seed, epoch, batch), checkpoints must
//! be single atomic files, and a NaN loss must stop without overwriting the last good state.
//! burn supplies the model, autodiff, the optimizer and the loss.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData};
use effilens::bundle::{WeightsDtype, decode_weights, encode_weights};
use effilens::model::weights::load_pytorch;
use effilens::{Arch, EfficientNet, EfficientNetConfig, Preprocessor};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::augment::augment;
use crate::checkpoint::{Checkpoint, CheckpointState, EpochRecord, FORMAT_VERSION, Progress};
use crate::dataset::ImageFolder;
use crate::data_parallel::{DataParallel, Shard};
use crate::device::DeviceList;
use crate::eval::report_skipped;
use crate::images::{DecodedImages, decode_all, set_workers};
use crate::metrics::Confusion;
use crate::model_source::default_normalization;
use crate::schedule::Schedule;

/// `trainer train`'s defaults for the optimisation step, shared with `trainer bench` so that it
/// times the step a default fine-tune takes.
pub const DEFAULT_BATCH_SIZE: usize = 16;
pub const DEFAULT_LR: f64 = 0.01;
pub const DEFAULT_MOMENTUM: f64 = 0.9;
pub const DEFAULT_WEIGHT_DECAY: f64 = 1e-4;
pub const DEFAULT_LABEL_SMOOTHING: f32 = 0.1;

#[derive(clap::Args, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainArgs {
    /// Training images: DIR/<class>/<image>.
    #[arg(long)]
    pub train_data: PathBuf,
    /// Validation images, same layout. Without it, a seeded stratified share of --train-data is held out.
    #[arg(long)]
    pub val_data: Option<PathBuf>,
    /// Share of each class held out for validation when there is no --val-data.
    #[arg(long, default_value_t = 0.2)]
    pub val_fraction: f64,
    /// Architecture [default: efficientnet-lite0].
    #[arg(long)]
    pub arch: Option<Arch>,
    /// Starting weights: `imagenet` (the arch's cached ImageNet weights; `cargo xtask setup`),
    /// `lite0`/`lite1`/`lite2`, a lukemelas .pth file, or `none` for random initialisation.
    #[arg(long, default_value = "imagenet")]
    pub pretrained: String,
    /// Normalise as AdvProp checkpoints expect ([-1, 1]); B0–B7 only.
    #[arg(long)]
    pub advprop: bool,
    /// Input resolution [default: the arch's].
    #[arg(long)]
    pub image_size: Option<usize>,
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Peak learning rate (SGD).
    #[arg(long, default_value_t = DEFAULT_LR)]
    pub lr: f64,
    #[arg(long, default_value_t = DEFAULT_MOMENTUM)]
    pub momentum: f64,
    #[arg(long, default_value_t = DEFAULT_WEIGHT_DECAY)]
    pub weight_decay: f64,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    #[arg(long, value_enum, default_value_t = Schedule::Cosine)]
    pub schedule: Schedule,
    /// Epochs of linear learning-rate warm-up.
    #[arg(long, default_value_t = 1)]
    pub warmup_epochs: usize,
    #[arg(long, default_value_t = DEFAULT_LABEL_SMOOTHING)]
    pub label_smoothing: f32,
    /// Weight of each batch in the batch-norm running statistics. Higher than ImageNet
    /// training's 0.01 so that a short fine-tune moves the statistics to the new data.
    #[arg(long, default_value_t = 0.1)]
    pub bn_momentum: f64,
    /// Weight the loss by inverse class frequency.
    #[arg(long)]
    pub balanced_loss: bool,
    /// Train only the classifier; the ImageNet backbone (batch norm included) stays as it is.
    #[arg(long)]
    pub freeze_backbone: bool,
    /// Turn off flip, zoom-out and colour jitter.
    #[arg(long)]
    pub no_augment: bool,
    /// Stop after this many epochs without improvement of --monitor.
    #[arg(long)]
    pub early_stopping: Option<usize>,
    /// Validation figure that picks the best checkpoint and drives early stopping.
    #[arg(long, value_enum, default_value_t = Monitor::Accuracy)]
    pub monitor: Monitor,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads decoding and augmenting images (0: one per core).
    #[arg(long, default_value_t = 0)]
    #[serde(skip)]
    pub workers: usize,
    /// Save a numbered checkpoint every N epochs (`last.ckpt` and `best.ckpt` are always kept).
    #[arg(long, default_value_t = 1)]
    pub save_interval: usize,
    #[arg(long, default_value = "checkpoints")]
    #[serde(skip)]
    pub checkpoint_dir: PathBuf,
    /// Continue a run from its checkpoint (its settings apply; only --epochs may be raised).
    #[arg(long)]
    #[serde(skip)]
    pub resume: Option<PathBuf>,
    /// Where the network trains: flex (CPU), wgpu, wgpu:N or cuda:N (GPU backends need the
    /// trainer built with `--features wgpu` or `--features cuda`). Several, comma-separated
    /// (wgpu:0,wgpu:1), train in data parallel: each takes a share of every batch. A run may
    /// resume elsewhere.
    #[arg(long, default_value_t = DeviceList::default())]
    #[serde(skip)]
    pub device: DeviceList,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Monitor {
    Accuracy,
    MacroF1,
    ValLoss,
}

impl Monitor {
    /// Higher is better.
    fn score(self, record: &EpochRecord) -> f64 {
        match self {
            Monitor::Accuracy => record.accuracy,
            Monitor::MacroF1 => record.macro_f1,
            Monitor::ValLoss => -record.val_loss,
        }
    }
}

/// Set by Ctrl-C; the loop saves and stops at the next batch boundary.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub fn run(mut args: TrainArgs) -> Result<std::process::ExitCode> {
    set_workers(args.workers)?;
    let resumed = match &args.resume {
        Some(path) => Some(Checkpoint::read(path)?),
        None => None,
    };
    if let Some(checkpoint) = &resumed {
        args = resume_settings(&args, &checkpoint.state.settings)?;
    }
    let arch = args.arch.unwrap_or(Arch::Lite0);
    let image_size = args.image_size.unwrap_or(arch.scaling().resolution);
    let normalization = default_normalization(arch, args.advprop);
    let preprocessor = Preprocessor::new(image_size, normalization);
    if args.batch_size == 0 || args.epochs == 0 {
        bail!("--batch-size and --epochs must be at least 1");
    }
    // Before the images are decoded: a missing GPU should not cost the wait.
    let devices: Vec<Device> = args.device.init()?.into_iter().map(Device::autodiff).collect();
    // The first device holds the model and the optimizer; with several, they train in data parallel.
    let device = devices[0].clone();
    let parallel = (devices.len() > 1).then(|| DataParallel::new(devices));

    let (train_folder, val_folder) = load_folders(&args)?;
    if let Some(checkpoint) = &resumed
        && (checkpoint.state.classes != train_folder.classes || checkpoint.state.arch != arch)
    {
        bail!(
            "incompatible --resume checkpoint: it trains {} on classes {:?}, this run {} on {:?}",
            checkpoint.state.arch,
            checkpoint.state.classes,
            arch,
            train_folder.classes
        );
    }
    let classes = train_folder.classes.clone();
    let mut skipped = train_folder.skipped.clone();
    skipped.extend(val_folder.skipped.iter().cloned());
    eprintln!("decoding {} training and {} validation images…", train_folder.samples.len(), val_folder.samples.len());
    let train = decode_all(&train_folder, &preprocessor, &mut skipped);
    let val = decode_all(&val_folder, &preprocessor, &mut skipped);
    report_skipped(&skipped);
    if train.images.is_empty() || val.images.is_empty() {
        bail!("no readable images left (training {}, validation {})", train.images.len(), val.images.len());
    }
    for (index, class) in classes.iter().enumerate() {
        if !train.classes.contains(&index) {
            bail!("class '{class}' has no readable training images");
        }
    }

    device.seed(args.seed);
    let config = EfficientNetConfig::from_arch(arch)
        .with_num_classes(classes.len())
        .with_batch_norm_momentum(args.bn_momentum);
    let (model, source_weights) = match &resumed {
        Some(checkpoint) => (
            decode_weights(config.init(&device), &checkpoint.model).map_err(anyhow::Error::msg)?,
            checkpoint.state.source_weights.clone(),
        ),
        None => initial_model(&args, arch, &config, &device)?,
    };
    let mut optimizer = sgd(args.momentum, args.weight_decay);
    if let Some(checkpoint) = &resumed {
        optimizer = optimizer
            .from_bytes(Bytes::from_bytes_vec(checkpoint.optimizer.clone()))
            .context("the checkpoint's optimizer state does not fit")?;
    }
    let mut run = Run {
        args: args.clone(),
        state: CheckpointState {
            format_version: FORMAT_VERSION,
            arch,
            classes: classes.clone(),
            image_size,
            normalization,
            source_weights,
            settings: args.clone(),
            progress: resumed.as_ref().map(|c| c.state.progress.clone()).unwrap_or(Progress {
                epoch: 0,
                batch: 0,
                loss_sum: 0.0,
                images: 0,
                best: None,
                epochs_without_improvement: 0,
            }),
            history: resumed.as_ref().map(|c| c.state.history.clone()).unwrap_or_default(),
        },
        preprocessor,
        device,
        parallel,
    };
    std::fs::create_dir_all(&args.checkpoint_dir)
        .with_context(|| format!("cannot create {}", args.checkpoint_dir.display()))?;
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst)).context("cannot install the Ctrl-C handler")?;
    let model = if args.freeze_backbone { model.freeze_backbone() } else { model };
    run.train(model, &mut optimizer, &train, &val)
}

/// On resume the checkpoint's settings rule; only the data's location, the run length and the
/// machine-side options (workers, checkpoint folder, device) may change.
fn resume_settings(args: &TrainArgs, saved: &TrainArgs) -> Result<TrainArgs> {
    if args.arch.is_some_and(|arch| Some(arch) != saved.arch) {
        bail!("incompatible --resume checkpoint: it trains {:?}, --arch says {:?}", saved.arch, args.arch);
    }
    if args.epochs < saved.epochs {
        bail!("--epochs {} is fewer than the {} the resumed run was set to", args.epochs, saved.epochs);
    }
    Ok(TrainArgs {
        train_data: args.train_data.clone(),
        val_data: args.val_data.clone(),
        epochs: args.epochs,
        workers: args.workers,
        checkpoint_dir: args.checkpoint_dir.clone(),
        resume: args.resume.clone(),
        device: args.device.clone(),
        ..saved.clone()
    })
}

fn load_folders(args: &TrainArgs) -> Result<(ImageFolder, ImageFolder)> {
    let train = ImageFolder::scan_training(&args.train_data)?;
    match &args.val_data {
        None => {
            if !(0.0..1.0).contains(&args.val_fraction) || args.val_fraction == 0.0 {
                bail!("--val-fraction must be between 0 and 1");
            }
            Ok(train.stratified_split(args.val_fraction, args.seed))
        }
        Some(dir) => {
            let val = ImageFolder::scan(dir, Some(&train.classes))?;
            if let Some(unknown) = val.skipped.iter().find(|skip| skip.reason.contains("is not a class")) {
                bail!("{}: validation folder '{}' is not a training class", dir.display(), unknown.path.display());
            }
            for (index, class) in train.classes.iter().enumerate() {
                if val.count(index) == 0 {
                    bail!("{}: class '{class}' is in the training data but has no validation images", dir.display());
                }
            }
            Ok((train, val))
        }
    }
}

fn initial_model(
    args: &TrainArgs,
    arch: Arch,
    config: &EfficientNetConfig,
    device: &Device,
) -> Result<(EfficientNet, String)> {
    let checkpoint = match args.pretrained.as_str() {
        "none" => return Ok((config.init(device), "none (random initialisation)".into())),
        "imagenet" => effilens::pretrained::imagenet_checkpoint(arch).map_err(anyhow::Error::msg)?,
        name @ ("lite0" | "lite1" | "lite2") => {
            let named: Arch = format!("efficientnet-{name}").parse().map_err(anyhow::Error::msg)?;
            if named != arch {
                bail!("--pretrained {name} holds {named} weights, but --arch is {arch}");
            }
            effilens::pretrained::imagenet_checkpoint(named).map_err(anyhow::Error::msg)?
        }
        path => PathBuf::from(path),
    };
    // The ImageNet classifier does not fit our classes: start it fresh (the seed's load_fc=False).
    let model = load_pytorch(config.init(device), &checkpoint, false)?;
    Ok((model, format!("{arch} ImageNet weights from {}", checkpoint.display())))
}

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

struct Run {
    args: TrainArgs,
    state: CheckpointState,
    preprocessor: Preprocessor,
    /// Where the model and the optimizer live (the first `--device`).
    device: Device,
    /// With several devices: the data-parallel workers, the first device's among them.
    parallel: Option<DataParallel>,
}

impl Run {
    fn train(
        &mut self,
        mut model: EfficientNet,
        optimizer: &mut ModuleOptimizer,
        train: &DecodedImages,
        val: &DecodedImages,
    ) -> Result<std::process::ExitCode> {
        let batches_per_epoch = train.images.len().div_ceil(self.args.batch_size);
        let total_steps = batches_per_epoch * self.args.epochs;
        let warmup_steps = (batches_per_epoch * self.args.warmup_epochs).min(total_steps / 2);
        let loss = training_loss(
            self.args.label_smoothing,
            self.args.balanced_loss.then(|| class_weights(&train.classes, self.state.classes.len())),
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

        while self.state.progress.epoch < self.args.epochs {
            let epoch = self.state.progress.epoch;
            let mut order: Vec<usize> = (0..train.images.len()).collect();
            order.shuffle(&mut StdRng::seed_from_u64(derive_seed(self.args.seed, epoch, usize::MAX)));
            let bar = progress_bar(train.images.len(), epoch, self.args.epochs);
            bar.set_position(self.state.progress.images as u64);
            let started = Instant::now();
            let images_before = self.state.progress.images;
            let mut learning_rate = 0.0;

            for (batch, members) in order.chunks(self.args.batch_size).enumerate().skip(self.state.progress.batch) {
                if INTERRUPTED.load(Ordering::SeqCst) {
                    bar.abandon();
                    let path = self.save(&model, optimizer, "last")?;
                    eprintln!("interrupted: saved {}; continue with --resume {}", path.display(), path.display());
                    return Ok(std::process::ExitCode::from(130));
                }
                let step = epoch * batches_per_epoch + batch;
                learning_rate = self.args.schedule.learning_rate(self.args.lr, step, warmup_steps, total_steps);
                // Dropout and drop-connect draw from the device's generator: tie it to the batch.
                let batch_seed = derive_seed(self.args.seed, epoch, batch);
                let (stepped, value) = match &self.parallel {
                    None => {
                        let (inputs, targets) = self.batch_tensors(train, members, epoch, &self.device);
                        self.device.seed(batch_seed);
                        training_step(model, optimizer, &loss, inputs, targets, learning_rate)
                    }
                    Some(parallel) => {
                        let shards = parallel
                            .devices()
                            .iter()
                            .enumerate()
                            .map(|(index, device)| {
                                let shard = parallel.shard_of(members, index);
                                if shard.is_empty() {
                                    return None;
                                }
                                device.seed(derive_seed(batch_seed, index, 0));
                                let (inputs, targets) = self.batch_tensors(train, shard, epoch, device);
                                Some(Shard { inputs, targets, share: shard.len() as f32 / members.len() as f32 })
                            })
                            .collect();
                        parallel.step(model, optimizer, &loss, shards, learning_rate)?
                    }
                };
                // A non-finite loss has already spoiled `stepped`: stop before anything keeps it.
                if !value.is_finite() {
                    bar.abandon();
                    let last = self.args.checkpoint_dir.join("last.ckpt");
                    let kept = if last.is_file() {
                        format!("the last good checkpoint is {}", last.display())
                    } else {
                        "no checkpoint was written".to_owned()
                    };
                    bail!(
                        "the loss became {value} at epoch {} batch {}: stopped without saving; {kept} (try a lower --lr)",
                        epoch + 1,
                        batch + 1
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
            self.print_epoch(&record);
            let improved = self.record_epoch(record);
            self.save(&model, optimizer, "last")?;
            if improved {
                self.save(&model, optimizer, "best")?;
            }
            if (epoch + 1).is_multiple_of(self.args.save_interval.max(1)) {
                self.save(&model, optimizer, &format!("epoch-{:03}", epoch + 1))?;
            }
            self.write_metrics()?;
            // burn-train's `MetricEarlyStoppingStrategy` reads its `Learner`'s metric store; here the
            // count lives in the checkpoint, so that a resumed run keeps its patience.
            if let Some(patience) = self.args.early_stopping
                && self.state.progress.epochs_without_improvement >= patience
            {
                eprintln!("early stopping: no improvement of {:?} in {patience} epochs", self.args.monitor);
                break;
            }
        }
        if let Some((score, epoch)) = self.state.progress.best {
            eprintln!("best epoch {epoch} ({:?} {score:.4}): {}", self.args.monitor, self.args.checkpoint_dir.join("best.ckpt").display());
        }
        Ok(std::process::ExitCode::SUCCESS)
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
        epoch: usize,
        device: &Device,
    ) -> (Tensor<4>, Tensor<1, Int>) {
        // The decoding threads share only what they read (`Run` also holds the workers' channels).
        let (preprocessor, no_augment, seed) = (&self.preprocessor, self.args.no_augment, self.args.seed);
        let inputs: Vec<Vec<f32>> = members
            .par_iter()
            .map(|&index| {
                let image = &data.images[index];
                if no_augment {
                    preprocessor.normalize(image)
                } else {
                    let mut rng = StdRng::seed_from_u64(derive_seed(seed, epoch, index));
                    preprocessor.normalize(&augment(image, &mut rng))
                }
            })
            .collect();
        let classes = class_tensor(members.iter().map(|&index| data.classes[index]), device);
        (preprocessor.batch(&inputs, device), classes)
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
        let (val_loss, confusion) = evaluate(&model.valid(), val, &self.preprocessor, self.args.batch_size);
        let classes = self.state.classes.len();
        progress.epoch += 1;
        progress.batch = 0;
        progress.loss_sum = 0.0;
        progress.images = 0;
        Ok(EpochRecord {
            epoch: progress.epoch,
            learning_rate,
            train_loss,
            val_loss,
            accuracy: confusion.accuracy(),
            macro_f1: (0..classes).map(|c| confusion.f1(c)).sum::<f64>() / classes as f64,
            precision: (0..classes).map(|c| confusion.precision(c)).collect(),
            recall: (0..classes).map(|c| confusion.recall(c)).collect(),
            images_per_second: images_this_session as f64 / seconds.max(1e-9),
            seconds,
        })
    }

    fn print_epoch(&self, record: &EpochRecord) {
        let per_class: Vec<String> = self
            .state
            .classes
            .iter()
            .enumerate()
            .map(|(c, name)| format!("{name} P {:.3} R {:.3}", record.precision[c], record.recall[c]))
            .collect();
        println!(
            "epoch {}/{}  train loss {:.4}  val loss {:.4}  accuracy {:.4}  {}  {:.1} img/s",
            record.epoch,
            self.args.epochs,
            record.train_loss,
            record.val_loss,
            record.accuracy,
            per_class.join("  "),
            record.images_per_second
        );
    }

    /// Adds the epoch to the history; says whether it is the best so far.
    fn record_epoch(&mut self, record: EpochRecord) -> bool {
        let score = self.args.monitor.score(&record);
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
        let path = self.args.checkpoint_dir.join(format!("{name}.{}", crate::checkpoint::EXTENSION));
        let checkpoint = Checkpoint {
            state: self.state.clone(),
            model: encode_weights(model, WeightsDtype::F32)?,
            optimizer: optimizer.into_bytes().map_err(|error| anyhow::anyhow!("{error:?}"))?.to_vec(),
        };
        checkpoint.write_atomic(&path)?;
        Ok(path)
    }

    fn write_metrics(&self) -> Result<()> {
        let dir = &self.args.checkpoint_dir;
        let classes = &self.state.classes;
        let mut csv = String::from("epoch,learning_rate,train_loss,val_loss,accuracy,macro_f1");
        for class in classes {
            csv += &format!(",precision_{class},recall_{class}");
        }
        csv += ",images_per_second,seconds\n";
        for record in &self.state.history {
            csv += &format!(
                "{},{},{},{},{},{}",
                record.epoch, record.learning_rate, record.train_loss, record.val_loss, record.accuracy, record.macro_f1
            );
            for (precision, recall) in record.precision.iter().zip(&record.recall) {
                csv += &format!(",{precision},{recall}");
            }
            csv += &format!(",{},{}\n", record.images_per_second, record.seconds);
        }
        crate::checkpoint::write_file_atomic(&dir.join("metrics.csv"), csv.as_bytes())?;
        let json = serde_json::json!({
            "arch": self.state.arch,
            "classes": classes,
            "monitor": self.args.monitor,
            "best": self.state.progress.best.map(|(score, epoch)| serde_json::json!({"epoch": epoch, "score": score})),
            "epochs": self.state.history,
        });
        crate::checkpoint::write_file_atomic(&dir.join("metrics.json"), serde_json::to_string_pretty(&json)?.as_bytes())
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

pub fn class_tensor(classes: impl Iterator<Item = usize>, device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = classes.map(|class| class as i64).collect();
    let count = values.len();
    Tensor::from_data(TensorData::new(values, [count]), device)
}

/// Inverse class frequency, normalised to average 1.
fn class_weights(classes: &[usize], count: usize) -> Vec<f32> {
    let mut frequency = vec![0usize; count];
    for &class in classes {
        frequency[class] += 1;
    }
    let inverse: Vec<f32> = frequency.iter().map(|&n| 1.0 / n.max(1) as f32).collect();
    let mean = inverse.iter().sum::<f32>() / count as f32;
    inverse.iter().map(|weight| weight / mean).collect()
}

/// Mean cross-entropy and the confusion matrix of `model` (in inference mode) on `data`.
pub fn evaluate(model: &EfficientNet, data: &DecodedImages, preprocessor: &Preprocessor, batch_size: usize) -> (f64, Confusion) {
    let device = model.devices().first().cloned().unwrap_or_else(Device::flex);
    let classes = model.num_classes();
    let loss = CrossEntropyLossConfig::new().init(&device);
    let mut confusion = Confusion::new(classes);
    let mut loss_sum = 0.0;
    let indices: Vec<usize> = (0..data.images.len()).collect();
    for members in indices.chunks(batch_size) {
        let inputs: Vec<Vec<f32>> = members.par_iter().map(|&i| preprocessor.normalize(&data.images[i])).collect();
        let logits = model.forward(preprocessor.batch(&inputs, &device));
        let targets = class_tensor(members.iter().map(|&i| data.classes[i]), &device);
        loss_sum += f64::from(loss.forward(logits.clone(), targets).into_scalar::<f32>()) * members.len() as f64;
        let predicted: Vec<i64> = logits.argmax(1).into_data().iter::<i64>().collect();
        for (&index, &prediction) in members.iter().zip(&predicted) {
            confusion.add(data.classes[index], prediction as usize);
        }
    }
    (loss_sum / data.images.len().max(1) as f64, confusion)
}
