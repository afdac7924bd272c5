//! Everything between a classifier's probabilities and the report a user reads, written once for
//! `trainer eval` and the page (which loads this crate as its own small wasm module, without burn).
//!
//! - [`labeling`]: which files of a folder are images of which class, and why the others are not.
//! - [`skip`]: the reasons a file is not evaluated, worded once.
//! - [`decision`]: argmax, or a threshold on one class of a two-class model.
//! - [`confusion`]: the confusion matrix and precision, recall, F1 derived from it.
//! - [`curve`]: the precision–recall curve and average precision of one class.
//! - [`pointing`]: the pointing game of class activation maps against known object boxes.
//! - [`report`]: an evaluation (predictions + skipped files) and its summary under a decision.
//! - [`shard`]: a deterministic share of a folder per machine, and merging the shards' reports.
//! - [`formats`]: `predictions.txt`, the JSON report and the CSV, byte for byte the same everywhere.
//! - [`table`]: the page's table of predictions: filtered, sorted, formatted.

pub mod confusion;
pub mod curve;
pub mod decision;
pub mod formats;
pub mod labeling;
pub mod pointing;
pub mod report;
pub mod shard;
pub mod skip;
pub mod table;
#[cfg(all(target_arch = "wasm32", feature = "web"))]
mod web;

pub use confusion::Confusion;
pub use decision::DecisionRule;
pub use labeling::{IMAGE_EXTENSIONS, LabeledImage, Labeling, ListedFile, label_files};
pub use report::{Evaluation, ModelInfo, Prediction, Summary};
pub use shard::Shard;
pub use skip::{SkipReason, Skipped};
