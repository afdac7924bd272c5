//! `trainer train`'s command line: the run's settings plus the machine-side options that a
//! checkpoint does not keep (threads, checkpoint folder, `--resume`, devices).

use std::path::PathBuf;

use effilens::Arch;

use crate::device::DeviceList;
use effilens::teach::Schedule;
use crate::settings::{Monitor, TrainSettings};

/// `trainer train`'s defaults for the optimisation step, shared with `trainer bench` so that it
/// times the step a default fine-tune takes.
pub const DEFAULT_BATCH_SIZE: usize = 16;
pub const DEFAULT_LR: f64 = 0.01;
pub const DEFAULT_MOMENTUM: f64 = 0.9;
pub const DEFAULT_WEIGHT_DECAY: f64 = 1e-4;
pub const DEFAULT_LABEL_SMOOTHING: f32 = 0.1;

#[derive(clap::Args, Clone, Debug, PartialEq)]
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
    /// Architecture [default: a --pretrained bundle's, else efficientnet-lite0].
    #[arg(long)]
    pub arch: Option<Arch>,
    /// Starting weights: `imagenet` (the arch's cached ImageNet weights; `cargo xtask setup`),
    /// `lite0`/`lite1`/`lite2`, a lukemelas .pth file, a bundle folder (`trainer export`'s or the
    /// page's Teach; its classifier is kept when the classes are the same), or `none` for random
    /// initialisation.
    #[arg(long, default_value = "imagenet")]
    pub pretrained: String,
    /// Normalise as AdvProp checkpoints expect ([-1, 1]); B0–B7 only.
    #[arg(long)]
    pub advprop: bool,
    /// Input resolution [default: a --pretrained bundle's, else the arch's].
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
    /// Learning-rate schedule after the warm-up: cosine or constant.
    #[arg(long, default_value_t = Schedule::Cosine)]
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
    pub workers: usize,
    /// Save a numbered checkpoint every N epochs (`last.ckpt` and `best.ckpt` are always kept).
    #[arg(long, default_value_t = 1)]
    pub save_interval: usize,
    #[arg(long, default_value = "checkpoints")]
    pub checkpoint_dir: PathBuf,
    /// Continue a run from its checkpoint (its settings apply; only --epochs may be raised).
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// With --resume: continue although the training images differ from the checkpoint's.
    #[arg(long, requires = "resume")]
    pub allow_data_change: bool,
    /// Where the network trains: flex (CPU), wgpu, wgpu:N or cuda:N (GPU backends need the
    /// trainer built with `--features wgpu` or `--features cuda`). Several, comma-separated
    /// (wgpu:0,wgpu:1), train in data parallel: each takes a share of every batch. A run may
    /// resume elsewhere.
    #[arg(long, default_value_t = DeviceList::default())]
    pub device: DeviceList,
}

impl TrainArgs {
    /// The run's settings as given on the command line, without the machine-side options.
    pub fn settings(&self) -> TrainSettings {
        TrainSettings {
            train_data: self.train_data.clone(),
            val_data: self.val_data.clone(),
            val_fraction: self.val_fraction,
            arch: self.arch,
            pretrained: self.pretrained.clone(),
            advprop: self.advprop,
            image_size: self.image_size,
            batch_size: self.batch_size,
            lr: self.lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            epochs: self.epochs,
            schedule: self.schedule,
            warmup_epochs: self.warmup_epochs,
            label_smoothing: self.label_smoothing,
            bn_momentum: self.bn_momentum,
            balanced_loss: self.balanced_loss,
            freeze_backbone: self.freeze_backbone,
            no_augment: self.no_augment,
            early_stopping: self.early_stopping,
            monitor: self.monitor,
            seed: self.seed,
            save_interval: self.save_interval,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TrainArgs,
    }

    #[test]
    fn the_settings_are_the_options_without_the_machine_side_ones() {
        let cli = Cli::try_parse_from([
            "train",
            "--train-data",
            "data/train",
            "--arch",
            "efficientnet-b0",
            "--epochs",
            "3",
            "--monitor",
            "macro-f1",
            "--early-stopping",
            "2",
            "--workers",
            "4",
            "--checkpoint-dir",
            "elsewhere",
        ])
        .unwrap();
        let settings = cli.args.settings();
        assert_eq!(settings.train_data, PathBuf::from("data/train"));
        assert_eq!(settings.arch, Some(Arch::B0));
        assert_eq!((settings.epochs, settings.early_stopping, settings.monitor), (3, Some(2), Monitor::MacroF1));
        assert_eq!(settings.batch_size, DEFAULT_BATCH_SIZE);
        assert_eq!(settings.lr, DEFAULT_LR);
        assert_eq!(settings.schedule, Schedule::Cosine);
        assert_eq!(settings.val_fraction, 0.2);
        assert_eq!(settings.save_interval, 1);
        let json = serde_json::to_value(&settings).unwrap();
        for machine_side in ["workers", "checkpoint_dir", "resume", "allow_data_change", "device"] {
            assert!(json.get(machine_side).is_none(), "{machine_side} is in the settings");
        }
    }
}
