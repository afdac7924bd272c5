//! The native reference of the page's Teach rows: what `trainer` takes to make the same bundle
//! from the same images and settings (`train --freeze-backbone --no-augment` from the bundled
//! model, which computes each image's features once as the page does, then `export`), wall time
//! on all cores. The page's rows sit beside it with the speed ratio.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;
use serde_json::{Value, json};

use crate::command::execute;

/// The rows' id: the page's Teach on the threaded CPU build, which it is the reference of.
pub const ID: &str = "browser/teach/cpu-threads";

pub fn measure(trainer: &Path, work: &Path, quick: bool) -> Result<Value> {
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
            .args(["train", "--train-data", "data/sample/train", "--pretrained", "www/models/logo", "--freeze-backbone", "--no-augment"])
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
        "id": ID, "unit": "s", "median": seconds[seconds.len() / 2], "min": seconds[0], "max": seconds[seconds.len() - 1],
        "runs": seconds.len(), "warmup": 1,
    }))
}
