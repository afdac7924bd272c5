//! What defines a training run: the settings a checkpoint stores and a resumed run inherits.
//!
//! Plain data, kept apart from the command line (`train::TrainArgs` converts into it) so that
//! checkpoints depend on no CLI type; `Monitor` only derives clap's `ValueEnum` so that the
//! command line can name it (`Schedule` is effilens' own, shared with the page). The machine-side options (workers, checkpoint folder,
//! `--resume`, devices) are not here: a run may continue on another machine. The serde names and
//! shapes are those of the checkpoints already written: change them and old checkpoints no
//! longer load.

use std::path::PathBuf;

use effilens::Arch;
use serde::{Deserialize, Serialize};

use effilens::teach::Schedule;

/// A run's settings, each as its `trainer train` option (see `trainer train --help`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub train_data: PathBuf,
    pub val_data: Option<PathBuf>,
    pub val_fraction: f64,
    pub arch: Option<Arch>,
    pub pretrained: String,
    pub advprop: bool,
    pub image_size: Option<usize>,
    pub batch_size: usize,
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    pub epochs: usize,
    pub schedule: Schedule,
    pub warmup_epochs: usize,
    pub label_smoothing: f32,
    pub bn_momentum: f64,
    pub balanced_loss: bool,
    pub freeze_backbone: bool,
    pub no_augment: bool,
    pub early_stopping: Option<usize>,
    pub monitor: Monitor,
    pub seed: u64,
    pub save_interval: usize,
}

/// The validation figure that picks the best checkpoint and drives early stopping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Monitor {
    Accuracy,
    MacroF1,
    ValLoss,
}
