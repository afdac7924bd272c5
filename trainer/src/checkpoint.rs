//! Training checkpoints: one file holding the run's state (JSON), the network's weights and the
//! optimizer's state (both burnpack), written atomically so a crash or a full disk never leaves
//! a torn file where a good one was. burn-train's `FileCheckpointer` writes the model, optimizer
//! and scheduler as separate files per epoch, without the run's position inside an epoch, so it
//! can neither resume mid-epoch nor be swapped in whole.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use effilens::bundle::{Manifest, WeightsFile};
use effilens::{Arch, Normalization};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::atomic_file::{rename_into_place, temporary_path, write_synced};
use crate::settings::{Monitor, TrainSettings};

const MAGIC: &[u8] = b"EFFILENS-CHECKPOINT\n";
pub const FORMAT_VERSION: u32 = 1;
/// The extension `trainer` gives checkpoints.
pub const EXTENSION: &str = "ckpt";

/// One epoch's figures, as printed and written to metrics.csv/json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub learning_rate: f64,
    pub train_loss: f64,
    pub val_loss: f64,
    pub accuracy: f64,
    /// Figures the evaluation core leaves undefined (a class never predicted) are `None`, as in
    /// every report; checkpoints written before that hold numbers, which read as `Some`.
    pub macro_f1: Option<f64>,
    pub precision: Vec<Option<f64>>,
    pub recall: Vec<Option<f64>>,
    /// Absent from older checkpoints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub f1: Vec<Option<f64>>,
    pub images_per_second: f64,
    pub seconds: f64,
}

impl EpochRecord {
    /// The epoch's `monitor` figure, higher better.
    pub fn score(&self, monitor: Monitor) -> f64 {
        match monitor {
            Monitor::Accuracy => self.accuracy,
            // F1 lies in [0, 1]: an undefined one ranks below any defined one.
            Monitor::MacroF1 => self.macro_f1.unwrap_or(-1.0),
            Monitor::ValLoss => -self.val_loss,
        }
    }
}

/// Where a run stands: enough to continue it exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Epochs completed.
    pub epoch: usize,
    /// Batches completed in the epoch under way (non-zero only after an interruption).
    pub batch: usize,
    /// Sum of the batch losses so far in the epoch under way, and the images they covered.
    pub loss_sum: f64,
    pub images: usize,
    /// Best monitored score so far and its epoch.
    pub best: Option<(f64, usize)>,
    /// Epochs since the best one, for early stopping.
    pub epochs_without_improvement: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointState {
    pub format_version: u32,
    pub arch: Arch,
    pub classes: Vec<String>,
    pub image_size: usize,
    pub normalization: Normalization,
    pub source_weights: String,
    pub settings: TrainSettings,
    pub progress: Progress,
    pub history: Vec<EpochRecord>,
    /// What the run trains on, so that resuming on other data is noticed (absent from older
    /// checkpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataFingerprint>,
}

/// The training images by path below the folder and size: which, not where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    pub images: usize,
    pub sha256: String,
}

pub struct Checkpoint {
    pub state: CheckpointState,
    /// burnpack bytes of the network.
    pub model: Vec<u8>,
    /// burnpack bytes of the optimizer state.
    pub optimizer: Vec<u8>,
}

impl Checkpoint {
    /// Writes to a temporary file beside `path`, syncs it, then renames it over `path` and syncs
    /// the directory ([`crate::atomic_file`]).
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        let temporary = temporary_path(path);
        if let Err(error) = write_synced(&temporary, |file| self.write_to(file)) {
            // The temporary file is gone; the previous checkpoint was never touched.
            let previous = if path.exists() { "the previous checkpoint there is intact" } else { "nothing was saved" };
            bail!("cannot write checkpoint {}: {error:#}; {previous}", path.display());
        }
        rename_into_place(&temporary, path).with_context(|| format!("cannot rename checkpoint into {}", path.display()))
    }

    fn write_to(&self, file: &mut File) -> Result<()> {
        file.write_all(MAGIC)?;
        let state = serde_json::to_vec_pretty(&self.state)?;
        for section in [state.as_slice(), &self.model, &self.optimizer] {
            file.write_all(&(section.len() as u64).to_le_bytes())?;
            file.write_all(section)?;
        }
        Ok(())
    }

    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("{} is not a usable trainer checkpoint", path.display()))
    }

    /// What [`Checkpoint::read`] makes of a file's bytes (also the fuzz target's entry, fuzz/).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut reader = bytes.strip_prefix(MAGIC).context("it does not start like one")?;
        let mut section = || -> Result<Vec<u8>> {
            let mut length = [0u8; 8];
            reader.read_exact(&mut length).context("it is truncated")?;
            let length = usize::try_from(u64::from_le_bytes(length))?;
            if length > reader.len() {
                bail!("it is truncated");
            }
            let (body, rest) = reader.split_at(length);
            reader = rest;
            Ok(body.to_vec())
        };
        let state: CheckpointState = serde_json::from_slice(&section()?).context("its state is unreadable")?;
        if state.format_version != FORMAT_VERSION {
            bail!("format version {} (this trainer reads {FORMAT_VERSION})", state.format_version);
        }
        Ok(Self { state, model: section()?, optimizer: section()? })
    }
}

impl CheckpointState {
    /// The bundle manifest for this run's network stored as `weights`.
    pub fn manifest(&self, name: &str, weights: WeightsFile) -> Manifest {
        let last = self.history.last();
        let metrics = last.map_or(serde_json::Value::Null, |record| {
            effilens::teach::ValidationMetrics {
                epoch: record.epoch,
                accuracy: record.accuracy,
                macro_f1: record.macro_f1,
                val_loss: record.val_loss,
                precision: record.precision.clone(),
                recall: record.recall.clone(),
                f1: record.f1.clone(),
            }
            .to_json(&self.classes)
        });
        Manifest {
            format_version: effilens::bundle::FORMAT_VERSION,
            name: name.to_owned(),
            arch: self.arch,
            classes: self.classes.clone(),
            image_size: self.image_size,
            normalization: self.normalization,
            weights,
            source_weights: self.source_weights.clone(),
            training: json!({
                "epochs": self.progress.epoch,
                "settings": self.settings,
                "final_train_loss": last.map(|record| record.train_loss),
                "images_per_second": last.map(|record| record.images_per_second),
            }),
            metrics,
            evaluations: serde_json::Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The `settings` object as checkpoints written before `TrainSettings` hold it (serde_json of
    /// the command-line arguments, machine-side options skipped), compact and in field order.
    const OLD_SETTINGS: &str = concat!(
        r#"{"train_data":"data/train","val_data":"data/val","val_fraction":0.2,"arch":"efficientnet-lite0","#,
        r#""pretrained":"imagenet","advprop":false,"image_size":240,"batch_size":16,"lr":0.01,"momentum":0.9,"#,
        r#""weight_decay":0.0001,"epochs":10,"schedule":"cosine","warmup_epochs":1,"label_smoothing":0.1,"#,
        r#""bn_momentum":0.1,"balanced_loss":true,"freeze_backbone":false,"no_augment":false,"early_stopping":3,"#,
        r#""monitor":"macro-f1","seed":7,"save_interval":1}"#
    );

    fn old_state() -> Value {
        json!({
            "format_version": 1,
            "arch": "efficientnet-lite0",
            "classes": ["cat", "dog"],
            "image_size": 240,
            "normalization": "lite",
            "source_weights": "efficientnet-lite0 ImageNet weights from lite0.pth",
            "settings": serde_json::from_str::<Value>(OLD_SETTINGS).unwrap(),
            "progress": {
                "epoch": 2,
                "batch": 0,
                "loss_sum": 0.0,
                "images": 0,
                "best": [0.75, 2],
                "epochs_without_improvement": 0,
            },
            "history": [{
                "epoch": 2,
                "learning_rate": 0.005,
                "train_loss": 0.5,
                "val_loss": 0.6,
                "accuracy": 0.8,
                "macro_f1": 0.75,
                "precision": [0.7, 0.9],
                "recall": [0.9, 0.7],
                "images_per_second": 40.0,
                "seconds": 2.5,
            }],
        })
    }

    /// `value` as it reads back from the text a checkpoint holds (`to_value` would widen the f32
    /// label smoothing to f64 digits).
    fn as_written(value: &impl Serialize) -> Value {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    fn checkpoint_bytes(state: &[u8]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        for section in [state, b"model", b"optimizer"] {
            bytes.extend((section.len() as u64).to_le_bytes());
            bytes.extend(section);
        }
        bytes
    }

    #[test]
    fn a_checkpoint_written_before_train_settings_still_loads() {
        let state = serde_json::to_vec_pretty(&old_state()).unwrap();
        let checkpoint = Checkpoint::parse(&checkpoint_bytes(&state)).unwrap();
        let settings = &checkpoint.state.settings;
        assert_eq!(settings.train_data, Path::new("data/train"));
        assert_eq!(settings.val_data.as_deref(), Some(Path::new("data/val")));
        assert_eq!(settings.arch, Some(Arch::Lite0));
        assert_eq!((settings.image_size, settings.epochs, settings.seed), (Some(240), 10, 7));
        assert_eq!((settings.early_stopping, settings.monitor), (Some(3), Monitor::MacroF1));
        assert_eq!(settings.schedule, effilens::teach::Schedule::Cosine);
        assert!(settings.balanced_loss && !settings.freeze_backbone && !settings.no_augment);
        assert_eq!(checkpoint.state.progress.best, Some((0.75, 2)));
        assert_eq!((checkpoint.model.as_slice(), checkpoint.optimizer.as_slice()), (&b"model"[..], &b"optimizer"[..]));
        // Written again, the state is what it was: new checkpoints and manifests keep the shape.
        assert_eq!(as_written(&checkpoint.state), old_state());
        assert_eq!(serde_json::to_string(settings).unwrap(), OLD_SETTINGS);
    }

    #[test]
    fn an_unreadable_state_says_so() {
        let mut state = old_state();
        state["settings"].as_object_mut().unwrap().remove("lr");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.ckpt");
        std::fs::write(&path, checkpoint_bytes(&serde_json::to_vec(&state).unwrap())).unwrap();
        let error = format!("{:#}", Checkpoint::read(&path).err().unwrap());
        assert!(error.contains("is not a usable trainer checkpoint: its state is unreadable"), "{error}");
        assert!(error.contains("missing field `lr`"), "{error}");
    }

    #[test]
    fn write_atomic_then_read_gives_the_checkpoint_back() {
        let state: CheckpointState = serde_json::from_value(old_state()).unwrap();
        let checkpoint = Checkpoint { state, model: vec![1, 2, 3], optimizer: vec![4, 5] };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last.ckpt");
        checkpoint.write_atomic(&path).unwrap();
        assert!(!crate::atomic_file::temporary_path(&path).exists());
        let read = Checkpoint::read(&path).unwrap();
        assert_eq!(as_written(&read.state), old_state());
        assert_eq!((read.model, read.optimizer), (checkpoint.model, checkpoint.optimizer));
    }
}
