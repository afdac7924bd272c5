//! `trainer train`: fine-tune on an ImageFolder.
//!
//! The loop is our own rather than burn-train's `Learner`: exact resumption needs the run's
//! position inside an epoch and every random draw tied to (seed, epoch, batch), checkpoints must
//! be single atomic files, and a NaN loss must stop without overwriting the last good state.
//! burn supplies the model, autodiff, the optimizer and the loss.
//!
//! - `args`: the command line, and the settings it gives.
//! - `resume`: what a `--resume`d run keeps and what it refuses.
//! - effilens' `teach`: the steps themselves, their seeds and learning rates, shared with the
//!   page's Teach (and `trainer bench`).
//! - `epoch_loop`: the run itself, from the first batch to the last checkpoint.
//! - `metrics_files`: metrics.csv and metrics.json.
//!
//! This file sets a run up: settings, devices, data, starting weights, optimizer.

mod args;
mod epoch_loop;
mod metrics_files;
mod resume;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use burn::tensor::{Bytes, Device};
use effilens::bundle::{MANIFEST_FILE, Manifest, decode_weights};
use effilens::teach::with_classifier_for;
use effilens::model::weights::load_pytorch;
use effilens::{Arch, EfficientNet, EfficientNetConfig, Preprocessor};

pub use args::{
    DEFAULT_BATCH_SIZE, DEFAULT_LABEL_SMOOTHING, DEFAULT_LR, DEFAULT_MOMENTUM, DEFAULT_WEIGHT_DECAY, TrainArgs,
};
pub use effilens::teach::{class_tensor, sgd, training_loss, training_step};

use crate::checkpoint::{Checkpoint, CheckpointState, FORMAT_VERSION, Progress};
use crate::data_parallel::DataParallel;
use crate::dataset::ImageFolder;
use effilens_evaluation::skip::skipped_text;
use crate::images::{decode_all, set_workers};
use crate::model_source::default_normalization;
use crate::settings::TrainSettings;
use epoch_loop::{Run, compute_features, stop_on_ctrl_c};
use resume::{check_compatible, check_same_data, resume_settings};

pub fn run(args: TrainArgs) -> Result<std::process::ExitCode> {
    set_workers(args.workers)?;
    let resumed = match &args.resume {
        Some(path) => Some(Checkpoint::read(path)?),
        None => None,
    };
    let settings = match &resumed {
        Some(checkpoint) => resume_settings(&args, &checkpoint.state.settings)?,
        None => with_bundle_defaults(args.settings()),
    };
    let arch = settings.arch.unwrap_or(Arch::Lite0);
    let image_size = settings.image_size.unwrap_or(arch.scaling().resolution);
    let normalization = default_normalization(arch, settings.advprop);
    let preprocessor = Preprocessor::new(image_size, normalization);
    if settings.batch_size == 0 || settings.epochs == 0 {
        bail!("--batch-size and --epochs must be at least 1");
    }
    // Before hours of decoding and training: what `export` and the page would refuse at the end.
    let sizes = effilens::bundle::IMAGE_SIZES;
    if !sizes.contains(&image_size) {
        bail!("--image-size {image_size} is outside {}..={} (the sizes a bundle may have)", sizes.start(), sizes.end());
    }
    if !(0.0..1.0).contains(&settings.label_smoothing) {
        bail!("--label-smoothing must be at least 0 and less than 1, not {}", settings.label_smoothing);
    }
    // Before the images are decoded: a missing GPU should not cost the wait.
    let devices: Vec<Device> = args.device.init()?.into_iter().map(Device::autodiff).collect();
    // The first device holds the model and the optimizer; with several, they train in data parallel.
    let device = devices[0].clone();
    let parallel = (devices.len() > 1).then(|| DataParallel::new(devices));

    let (train_folder, val_folder) = load_folders(&settings)?;
    let data = train_folder.fingerprint();
    if let Some(checkpoint) = &resumed {
        check_compatible(&checkpoint.state, arch, &train_folder.classes)?;
        check_same_data(&checkpoint.state, &data, args.allow_data_change)?;
    }
    let classes = train_folder.classes.clone();
    let mut skipped = train_folder.skipped.clone();
    skipped.extend(val_folder.skipped.iter().cloned());
    eprintln!("decoding {} training and {} validation images…", train_folder.samples.len(), val_folder.samples.len());
    let train = decode_all(&train_folder, &preprocessor, &mut skipped);
    let val = decode_all(&val_folder, &preprocessor, &mut skipped);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    eprint!("{}", skipped_text(&skipped));
    if train.images.is_empty() || val.images.is_empty() {
        bail!("no readable images left (training {}, validation {})", train.images.len(), val.images.len());
    }
    for (index, class) in classes.iter().enumerate() {
        if !train.classes.contains(&index) {
            bail!("class '{class}' has no readable training images");
        }
    }

    device.seed(settings.seed);
    let config = EfficientNetConfig::from_arch(arch)
        .with_num_classes(classes.len())
        .with_batch_norm_momentum(settings.bn_momentum);
    let (model, source_weights) = match &resumed {
        Some(checkpoint) => (
            decode_weights(config.init(&device), &checkpoint.model).map_err(anyhow::Error::msg)?,
            checkpoint.state.source_weights.clone(),
        ),
        None => {
            let (model, known, source) = initial_model(&settings, arch, image_size, &config, &device)?;
            (with_classifier_for(model, &known, &classes, settings.seed, &device), source)
        }
    };
    let mut optimizer = sgd(settings.momentum, settings.weight_decay);
    if let Some(checkpoint) = &resumed {
        optimizer = optimizer
            .from_bytes(Bytes::from_bytes_vec(checkpoint.optimizer.clone()))
            .context("the checkpoint's optimizer state does not fit")?;
    }
    let mut run = Run {
        settings: settings.clone(),
        checkpoint_dir: args.checkpoint_dir.clone(),
        state: CheckpointState {
            format_version: FORMAT_VERSION,
            arch,
            classes: classes.clone(),
            image_size,
            normalization,
            source_weights,
            settings: settings.clone(),
            progress: resumed.as_ref().map(|c| c.state.progress.clone()).unwrap_or(Progress {
                epoch: 0,
                batch: 0,
                loss_sum: 0.0,
                images: 0,
                best: None,
                epochs_without_improvement: 0,
            }),
            history: resumed.as_ref().map(|c| c.state.history.clone()).unwrap_or_default(),
            data: Some(data),
        },
        preprocessor,
        device,
        parallel,
        features: None,
    };
    std::fs::create_dir_all(&args.checkpoint_dir)
        .with_context(|| format!("cannot create {}", args.checkpoint_dir.display()))?;
    stop_on_ctrl_c()?;
    let model = if settings.freeze_backbone { model.freeze_backbone() } else { model };
    if settings.freeze_backbone && settings.no_augment {
        eprintln!("frozen backbone without augmentation: computing each image's features once");
        let batch = settings.batch_size.max(16);
        run.features = Some((
            compute_features(&model, &train, &run.preprocessor, batch),
            compute_features(&model, &val, &run.preprocessor, batch),
        ));
    }
    run.train(model, &mut optimizer, &train, &val)
}

/// The training and validation folders: `--val-data`, or a seeded stratified share of the
/// training data held out.
fn load_folders(settings: &TrainSettings) -> Result<(ImageFolder, ImageFolder)> {
    let train = ImageFolder::scan_training(&settings.train_data)?;
    match &settings.val_data {
        None => {
            if !(0.0..1.0).contains(&settings.val_fraction) || settings.val_fraction == 0.0 {
                bail!("--val-fraction must be between 0 and 1");
            }
            Ok(train.stratified_split(settings.val_fraction, settings.seed))
        }
        Some(dir) => {
            let val = ImageFolder::scan(dir, Some(&train.classes))?;
            if let Some(unknown) = val.unknown_folders.first() {
                bail!("{}: validation folder '{}' is not a training class", dir.display(), dir.join(unknown).display());
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

/// The network a fresh run starts from (`--pretrained`), the classes its classifier knows (none
/// but a bundle's), and a description of its weights.
fn initial_model(
    settings: &TrainSettings,
    arch: Arch,
    image_size: usize,
    config: &EfficientNetConfig,
    device: &Device,
) -> Result<(EfficientNet, Vec<String>, String)> {
    let checkpoint = match settings.pretrained.as_str() {
        "none" => return Ok((config.init(device), Vec::new(), "none (random initialisation)".into())),
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
    if checkpoint.is_dir() || checkpoint.file_name().is_some_and(|name| name == MANIFEST_FILE) {
        return bundle_model(&checkpoint, arch, image_size, device);
    }
    // The ImageNet classifier does not fit our classes: start it fresh (the seed's load_fc=False).
    let model = load_pytorch(config.init(device), &checkpoint, false)?;
    Ok((model, Vec::new(), crate::model_source::imagenet_source(arch, &checkpoint)))
}

/// Continuing from a bundle, the architecture and input size not given are the bundle's: what the
/// page's Teach does, and what someone fine-tuning a 320 px model further expects.
fn with_bundle_defaults(mut settings: TrainSettings) -> TrainSettings {
    let path = PathBuf::from(&settings.pretrained);
    let manifest = if path.is_dir() { path.join(MANIFEST_FILE) } else { path };
    if manifest.file_name().is_some_and(|name| name == MANIFEST_FILE) {
        // An unreadable bundle is reported where its weights are loaded.
        if let Some(bundle) = std::fs::read_to_string(&manifest).ok().and_then(|text| Manifest::parse(&text).ok()) {
            settings.arch.get_or_insert(bundle.arch);
            settings.image_size.get_or_insert(bundle.image_size);
        }
    }
    settings
}

/// `--pretrained <bundle>`: continue from a published bundle (`trainer export`'s, or the page's
/// Teach). Its classifier is kept where the training folder has the same classes.
fn bundle_model(path: &std::path::Path, arch: Arch, image_size: usize, device: &Device) -> Result<(EfficientNet, Vec<String>, String)> {
    let dir = if path.is_dir() { path } else { path.parent().unwrap_or(path) };
    let (manifest, weights) = crate::model_source::read_bundle(dir)?;
    if manifest.arch != arch {
        bail!("--pretrained {} is {}, but --arch is {arch} (pass --arch {})", path.display(), manifest.arch, manifest.arch);
    }
    if manifest.image_size != image_size {
        eprintln!("note: {} was trained at {} px, this run trains at {image_size} px", path.display(), manifest.image_size);
    }
    let model = manifest.load_model(&weights, device).with_context(|| format!("cannot load {}", path.display()))?;
    let source = format!("the bundle '{}' ({}), from {}", manifest.name, manifest.source_weights, dir.display());
    Ok((model, manifest.classes, source))
}
