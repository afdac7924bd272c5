//! The native references of the page's Teach rows, on all cores, from the bundled model:
//! - the head: what `trainer` takes to make the same bundle from the same images and settings
//!   (`train --freeze-backbone --no-augment`, which computes each image's features once as the
//!   page does, then `export`), wall time; from the bundled logo model (320 px, the page's
//!   default) and, in full runs, from the shipped ImageNet Lite0 (224 px);
//! - the whole network: `train` for one epoch with the page's settings, training images per
//!   second of its epoch (validation not included; the page's figure includes it).
//!
//! The page's rows sit beside them with the speed ratio.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;
use serde_json::{Value, json};

use crate::command::execute;

/// The rows' ids: the page's Teach on the threaded CPU build, which they are the references of.
pub const ID: &str = "browser/teach/cpu-threads";
pub const IMAGENET_ID: &str = "browser/teach-imagenet/cpu-threads";
pub const NETWORK_ID: &str = "browser/teach-network/cpu-threads";

pub fn measure(trainer: &Path, work: &Path, quick: bool) -> Result<Vec<Value>> {
    let mut rows = vec![measure_head(trainer, work, "www/models/logo", ID, quick)?];
    if !quick {
        rows.push(measure_head(trainer, work, "www/models/imagenet-lite0", IMAGENET_ID, quick)?);
        rows.push(measure_network(trainer, work)?);
    }
    Ok(rows)
}

/// `trainer train` for the epoch the page's whole-network row trains.
fn measure_network(trainer: &Path, work: &Path) -> Result<Value> {
    let checkpoints = work.join("teach-network");
    if checkpoints.exists() {
        std::fs::remove_dir_all(&checkpoints)?;
    }
    execute(Command::new(trainer)
        .args(["train", "--train-data", "data/sample/train", "--pretrained", "www/models/logo", "--epochs", "1", "--batch-size", "4"])
        .arg("--checkpoint-dir")
        .arg(&checkpoints))?;
    let metrics: Value = serde_json::from_str(&std::fs::read_to_string(checkpoints.join("metrics.json"))?)?;
    let per_second = metrics["epochs"][0]["images_per_second"].as_f64().ok_or_else(|| anyhow::anyhow!("no images_per_second in the trainer's metrics.json"))?;
    Ok(json!({ "id": NETWORK_ID, "unit": "img/s", "median": per_second, "min": per_second, "max": per_second, "runs": 1, "warmup": 0 }))
}

/// Head-only training from the bundle `base`, then `export`, as the page's row `id` does.
fn measure_head(trainer: &Path, work: &Path, base: &str, id: &str, quick: bool) -> Result<Value> {
    let runs = if quick { 1 } else { 3 };
    let mut seconds = Vec::new();
    for run in 0..=runs {
        let checkpoints = work.join("teach");
        let bundle = work.join("teach-bundle");
        for dir in [&checkpoints, &bundle] {
            if dir.exists() {
                std::fs::remove_dir_all(dir)?;
            }
        }
        let started = Instant::now();
        execute(Command::new(trainer)
            .args(["train", "--train-data", "data/sample/train", "--pretrained", base, "--freeze-backbone", "--no-augment"])
            .arg("--checkpoint-dir")
            .arg(&checkpoints))?;
        execute(Command::new(trainer).arg("export").arg("--model").arg(checkpoints.join("best.ckpt")).arg("--out").arg(&bundle))?;
        // The first run warms the file cache.
        if run > 0 {
            seconds.push(started.elapsed().as_secs_f64());
        }
    }
    seconds.sort_by(f64::total_cmp);
    Ok(json!({
        "id": id, "unit": "s", "median": seconds[seconds.len() / 2], "min": seconds[0], "max": seconds[seconds.len() - 1],
        "runs": seconds.len(), "warmup": 1,
    }))
}
