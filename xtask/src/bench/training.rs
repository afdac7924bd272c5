//! The bundled model's recipe (README, "The bundled model"), timed on the committed
//! `data/sample/train`: how fast this machine trains it (images/s of each epoch) and how long
//! the run takes. The bundled model itself trains on ten times as many posters drawn the same
//! way, so its wall time is about ten times this one's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::command::execute;

/// `trainer train`'s arguments in the README's "The bundled model" command, on the committed data.
const RECIPE: [&str; 16] = [
    "--train-data", "data/sample/train", "--val-data", "data/sample/val", "--arch", "efficientnet-lite0",
    "--pretrained", "lite0", "--image-size", "320", "--epochs", "8", "--lr", "0.02", "--seed", "0",
];

/// What the timed run left: its rows (`section` "training"), a note on the model it trained, and
/// the best checkpoint, which the size rows export.
pub struct Training {
    pub rows: Vec<Value>,
    pub note: String,
    pub best_checkpoint: PathBuf,
}

pub fn measure(trainer: &Path, work: &Path) -> Result<Training> {
    let checkpoints = work.join("logo");
    if checkpoints.exists() {
        std::fs::remove_dir_all(&checkpoints).with_context(|| format!("cannot remove {}", checkpoints.display()))?;
    }
    eprintln!("training with the bundled model's recipe on data/sample/train (about 3 minutes on 2 cores)…");
    let started = Instant::now();
    execute(Command::new(trainer).arg("train").args(RECIPE).arg("--checkpoint-dir").arg(&checkpoints))?;
    let minutes = started.elapsed().as_secs_f64() / 60.0;

    let path = checkpoints.join("metrics.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let metrics: Value = serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let epochs = metrics["epochs"].as_array().cloned().unwrap_or_default();
    let mut speeds: Vec<f64> = epochs.iter().filter_map(|epoch| epoch["images_per_second"].as_f64()).collect();
    speeds.sort_by(f64::total_cmp);
    let command = format!("trainer train {}", RECIPE.join(" "));
    let mut rows = vec![json!({
        "section": "training", "id": "train/logo/wall-time", "unit": "min",
        "label": format!("wall time of `{command}`, decoding and validation included"),
        "median": minutes, "min": minutes, "max": minutes, "runs": 1, "warmup": 0,
    })];
    if let (Some(&slowest), Some(&fastest)) = (speeds.first(), speeds.last()) {
        rows.push(json!({
            "section": "training", "id": "train/logo/epoch-speed", "unit": "img/s",
            "label": "training images/s of its epochs (median, slowest–fastest epoch)",
            "median": speeds[speeds.len() / 2], "min": slowest, "max": fastest, "runs": speeds.len(), "warmup": 0,
        }));
    }
    let best = metrics["best"]["epoch"].as_u64().and_then(|best| epochs.iter().find(|epoch| epoch["epoch"] == best));
    let note = match best {
        Some(epoch) => {
            let classes = metrics["classes"].as_array().cloned().unwrap_or_default();
            let per_class: Vec<String> = classes
                .iter()
                .enumerate()
                .map(|(index, class)| {
                    let score = |key: &str| epoch[key][index].as_f64().unwrap_or(f64::NAN);
                    format!("{} precision {:.3} recall {:.3}", class.as_str().unwrap_or("?"), score("precision"), score("recall"))
                })
                .collect();
            format!(
                "The timed training's best epoch, {}, scored validation accuracy {:.3}; {} (its metrics.json).",
                epoch["epoch"],
                epoch["accuracy"].as_f64().unwrap_or(f64::NAN),
                per_class.join(", ")
            )
        }
        None => "The timed training recorded no best epoch.".to_owned(),
    };
    Ok(Training { rows, note, best_checkpoint: checkpoints.join("best.ckpt") })
}
