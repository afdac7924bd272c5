//! metrics.csv and metrics.json in the checkpoint folder: every epoch's figures so far, rewritten
//! (atomically) after each epoch, for spreadsheets and plotting scripts.

use std::path::Path;

use anyhow::Result;

use crate::atomic_file::write_file_atomic;
use crate::checkpoint::CheckpointState;
use crate::settings::Monitor;

/// Writes `state`'s history to `dir`/metrics.csv (one row per epoch, precision and recall per
/// class) and `dir`/metrics.json (with the classes, the monitored figure and the best epoch).
pub fn write_metrics(dir: &Path, state: &CheckpointState, monitor: Monitor) -> Result<()> {
    let classes = &state.classes;
    let mut csv = String::from("epoch,learning_rate,train_loss,val_loss,accuracy,macro_f1");
    for class in classes {
        csv += &format!(",precision_{class},recall_{class}");
    }
    csv += ",images_per_second,seconds\n";
    for record in &state.history {
        csv += &format!(
            "{},{},{},{},{},{}",
            record.epoch,
            record.learning_rate,
            record.train_loss,
            record.val_loss,
            record.accuracy,
            field(record.macro_f1)
        );
        for (precision, recall) in record.precision.iter().zip(&record.recall) {
            csv += &format!(",{},{}", field(*precision), field(*recall));
        }
        csv += &format!(",{},{}\n", record.images_per_second, record.seconds);
    }
    write_file_atomic(&dir.join("metrics.csv"), csv.as_bytes())?;
    let json = serde_json::json!({
        "arch": state.arch,
        "classes": classes,
        "monitor": monitor,
        "best": state.progress.best.map(|(score, epoch)| serde_json::json!({"epoch": epoch, "score": score})),
        "epochs": state.history,
    });
    write_file_atomic(&dir.join("metrics.json"), serde_json::to_string_pretty(&json)?.as_bytes())
}

/// An undefined figure is an empty field, as `null` in metrics.json.
fn field(value: Option<f64>) -> String {
    value.map_or_else(String::new, |value| value.to_string())
}
