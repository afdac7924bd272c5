//! How good the bundled model is, beside how fast, from `trainer eval --boxes` on the sample's
//! held-out splits: `seen` (fresh posters from training's own sources: the ordinary score), and
//! `val` and `test` (photos, brands, fonts and layouts training never saw: the source-disjoint
//! scores). Each split gives its accuracy, the logo class's precision and recall, and the
//! pointing game of the class activation maps against the generator's mark boxes.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::command::execute;

const SPLITS: &[(&str, &str)] = &[
    ("seen", "fresh posters from training's sources"),
    ("val", "source-disjoint, watched during training"),
    ("test", "source-disjoint from training and val"),
];

pub fn measure(trainer: &Path, work: &Path) -> Result<Vec<Value>> {
    let mut rows = Vec::new();
    for (split, what) in SPLITS {
        let out = work.join("quality").join(split).join("predictions.txt");
        std::fs::create_dir_all(out.parent().expect("a folder"))?;
        execute(Command::new(trainer)
            .args(["eval", "--model", "www/models/logo", "--data", &format!("data/sample/{split}"), "--boxes", "data/sample/boxes.csv", "--out"])
            .arg(&out))?;
        let path = out.with_extension("json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let report: Value = serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
        let score = |value: Option<f64>, id: String, label: String| {
            json!({ "section": "quality", "id": id, "unit": "score", "label": label, "median": value, "min": value, "max": value, "runs": 1, "warmup": 0 })
        };
        let logo = report["per_class"].as_array().into_iter().flatten().find(|row| row["class"] == "logo").cloned().unwrap_or_default();
        let game = &report["pointing_game"];
        rows.extend([
            score(report["accuracy"].as_f64(), format!("quality/{split}/accuracy"), format!("accuracy on data/sample/{split} ({what}; {} images)", report["images"])),
            score(logo["precision"].as_f64(), format!("quality/{split}/logo-precision"), format!("logo precision on data/sample/{split}")),
            score(logo["recall"].as_f64(), format!("quality/{split}/logo-recall"), format!("logo recall on data/sample/{split}")),
            score(
                game["score"].as_f64(),
                format!("quality/{split}/pointing-game"),
                format!("pointing game on data/sample/{split}: the map of \"logo\" peaks on the mark ({} of {} logo posters)", game["hits"], game["images"]),
            ),
        ]);
    }
    Ok(rows)
}
