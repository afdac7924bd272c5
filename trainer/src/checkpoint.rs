//! Training checkpoints: one file holding the run's state (JSON), the network's weights and the
//! optimizer's state (both burnpack), written atomically so a crash or a full disk never leaves
//! a torn file where a good one was. burn-train's `FileCheckpointer` writes the model, optimizer
//! and scheduler as separate files per epoch, without the run's position inside an epoch, so it
//! can neither resume mid-epoch nor be swapped in whole.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use effilens::bundle::{Manifest, WeightsFile};
use effilens::{Arch, Normalization};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::train::TrainArgs;

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
    pub macro_f1: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub images_per_second: f64,
    pub seconds: f64,
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
    pub settings: TrainArgs,
    pub progress: Progress,
    pub history: Vec<EpochRecord>,
}

pub struct Checkpoint {
    pub state: CheckpointState,
    /// burnpack bytes of the network.
    pub model: Vec<u8>,
    /// burnpack bytes of the optimizer state.
    pub optimizer: Vec<u8>,
}

impl Checkpoint {
    /// Writes to a temporary file beside `path`, syncs it, then renames it over `path`.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        let temporary = temporary_path(path);
        let written = self.write_to(&temporary);
        if let Err(error) = written {
            // Leave nothing half-written behind; the previous checkpoint was never touched.
            let _ = std::fs::remove_file(&temporary);
            let previous = if path.exists() { "the previous checkpoint there is intact" } else { "nothing was saved" };
            bail!("cannot write checkpoint {}: {error:#}; {previous}", path.display());
        }
        std::fs::rename(&temporary, path).with_context(|| format!("cannot rename checkpoint into {}", path.display()))?;
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            // Make the rename itself durable; not every platform can open a directory.
            if let Ok(dir) = File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }

    fn write_to(&self, path: &Path) -> Result<()> {
        let mut file = File::create(path)?;
        file.write_all(MAGIC)?;
        let state = serde_json::to_vec_pretty(&self.state)?;
        for section in [state.as_slice(), &self.model, &self.optimizer] {
            file.write_all(&(section.len() as u64).to_le_bytes())?;
            file.write_all(section)?;
        }
        file.sync_all()?;
        Ok(())
    }

    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("{} is not a usable trainer checkpoint", path.display()))
    }

    fn parse(bytes: &[u8]) -> Result<Self> {
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

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes `contents` to `path` atomically (metrics files, predictions).
pub fn write_file_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let temporary = temporary_path(path);
    std::fs::write(&temporary, contents).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

impl CheckpointState {
    /// The bundle manifest for this run's network stored as `weights`.
    pub fn manifest(&self, name: &str, weights: WeightsFile) -> Manifest {
        let last = self.history.last();
        let metrics = last.map_or(serde_json::Value::Null, |record| {
            let per_class: serde_json::Map<String, serde_json::Value> = self
                .classes
                .iter()
                .enumerate()
                .map(|(c, class)| {
                    let (precision, recall) = (record.precision[c], record.recall[c]);
                    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
                    (class.clone(), json!({ "precision": precision, "recall": recall, "f1": f1 }))
                })
                .collect();
            json!({
                "split": "validation",
                "epoch": record.epoch,
                "accuracy": record.accuracy,
                "macro_f1": record.macro_f1,
                "val_loss": record.val_loss,
                "per_class": per_class,
            })
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
        }
    }
}
