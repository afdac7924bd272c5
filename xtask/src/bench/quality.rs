//! How good the bundled model is, beside how fast: its accuracy on `data/sample/val` (photos and
//! brands the training never saw) and the pointing game of its class activation maps against the
//! generator's badge boxes, from `trainer eval --boxes`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::command::execute;

pub fn measure(trainer: &Path, work: &Path) -> Result<Vec<Value>> {
    let out = work.join("quality").join("predictions.txt");
    std::fs::create_dir_all(out.parent().expect("a folder"))?;
    execute(Command::new(trainer)
        .args(["eval", "--model", "www/models/logo", "--data", "data/sample/val", "--boxes", "data/sample/boxes.csv", "--out"])
        .arg(&out))?;
    let path = out.with_extension("json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: Value = serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let score = |value: Option<f64>, id: &str, label: String| {
        json!({ "section": "quality", "id": id, "unit": "score", "label": label, "median": value, "min": value, "max": value, "runs": 1, "warmup": 0 })
    };
    let game = &report["pointing_game"];
    Ok(vec![
        score(report["accuracy"].as_f64(), "quality/logo/accuracy", format!("the bundled model's accuracy on data/sample/val ({} images)", report["images"])),
        score(
            game["score"].as_f64(),
            "quality/logo/pointing-game",
            format!("its pointing game: the map of \"logo\" peaks on the badge ({} of {} logo posters)", game["hits"], game["images"]),
        ),
    ])
}
