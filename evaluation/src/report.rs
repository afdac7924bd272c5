//! An evaluation: the model, the folder, every prediction and every skipped file; and its summary
//! under a decision rule.

use serde::{Deserialize, Serialize};

use crate::confusion::{ClassFigures, Confusion, MacroFigures};
use crate::curve::{PrecisionRecall, precision_recall};
use crate::decision::DecisionRule;
use crate::pointing::PointingGame;
use crate::shard::Shard;
use crate::skip::{SkipReason, Skipped};

/// What the report says about the model (from its manifest).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub arch: String,
}

/// One classified image.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub path: String,
    pub truth: usize,
    /// In the model's class order.
    pub probabilities: Vec<f32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub model: ModelInfo,
    pub classes: Vec<String>,
    /// The evaluated folder as the user named it (`./data/val`; in the page, the folder's name).
    pub data: String,
    pub predictions: Vec<Prediction>,
    pub skipped: Vec<Skipped>,
    /// False when the run was cancelled or stopped before every file was looked at.
    pub complete: bool,
    /// The share of the folder this evaluation covers, when it is one of several.
    pub shard: Option<Shard>,
    /// Where object boxes were given (`trainer eval --boxes`): how often the map of each boxed
    /// image's class peaked on its box.
    pub pointing_game: Option<PointingGame>,
}

/// One class's line of a summary, as reports and the page show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassRow<'a> {
    pub class: &'a str,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub support: u64,
    pub predicted: u64,
    pub average_precision: Option<f64>,
}

/// The figures every view of a summary shows: the JSON report and the page's dashboards.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures<'a> {
    pub accuracy: Option<f64>,
    pub macro_average: MacroFigures,
    pub per_class: Vec<ClassRow<'a>>,
    /// Rows are true classes, columns predicted ones.
    pub confusion_matrix: Vec<Vec<u64>>,
}

/// Everything derived from an evaluation under one decision rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub decision: DecisionRule,
    pub confusion: Confusion,
    pub per_class: Vec<ClassFigures>,
    pub macro_figures: MacroFigures,
    pub accuracy: Option<f64>,
    /// Each class against the rest, by its probability (independent of the decision rule).
    pub curves: Vec<PrecisionRecall>,
}

impl Summary {
    pub fn figures<'a>(&self, classes: &'a [String]) -> Figures<'a> {
        Figures {
            accuracy: self.accuracy,
            macro_average: self.macro_figures,
            per_class: self.class_rows(classes),
            confusion_matrix: self.confusion.rows(),
        }
    }

    /// Per-class figures with each class's name and average precision.
    pub fn class_rows<'a>(&self, classes: &'a [String]) -> Vec<ClassRow<'a>> {
        self.per_class
            .iter()
            .zip(&self.curves)
            .zip(classes)
            .map(|((figures, curve), class)| ClassRow {
                class,
                precision: figures.precision,
                recall: figures.recall,
                f1: figures.f1,
                support: figures.support,
                predicted: figures.predicted,
                average_precision: curve.average_precision,
            })
            .collect()
    }
}

impl Evaluation {
    pub fn new(model: ModelInfo, classes: Vec<String>, data: impl Into<String>) -> Self {
        Self { model, classes, data: data.into(), predictions: Vec::new(), skipped: Vec::new(), complete: true, shard: None, pointing_game: None }
    }

    /// Adds a classified image. Probabilities that are not finite (a broken model or backend)
    /// make it a skipped file with that reason rather than a row no report could write.
    pub fn add(&mut self, path: impl Into<String>, truth: usize, probabilities: Vec<f32>) -> Result<(), String> {
        let path = path.into();
        if truth >= self.classes.len() || probabilities.len() != self.classes.len() {
            return Err(format!(
                "{path}: {} probabilities for class {truth}, but the model has {} classes",
                probabilities.len(),
                self.classes.len()
            ));
        }
        if probabilities.iter().any(|p| !p.is_finite()) {
            let reason = SkipReason::Undecodable("the model gave no valid probabilities for it (NaN or infinite)".into());
            self.skipped.push(Skipped::new(path, &reason));
        } else {
            self.predictions.push(Prediction { path, truth, probabilities });
        }
        Ok(())
    }

    pub fn skip(&mut self, path: impl Into<String>, reason: &SkipReason) {
        self.skipped.push(Skipped::new(path, reason));
    }

    /// Puts predictions and skipped files in the byte order of their paths, the order of every
    /// report, whatever order they were classified in.
    pub fn sort(&mut self) {
        self.predictions.sort_by(|a, b| a.path.cmp(&b.path));
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// The predicted class of each prediction, in order.
    pub fn predicted(&self, rule: &DecisionRule) -> Vec<usize> {
        self.predictions.iter().map(|prediction| rule.decide(&prediction.probabilities)).collect()
    }

    pub fn summary(&self, rule: &DecisionRule) -> Summary {
        let mut confusion = Confusion::new(self.classes.len());
        for (prediction, predicted) in self.predictions.iter().zip(self.predicted(rule)) {
            confusion.add(prediction.truth, predicted);
        }
        let curves = (0..self.classes.len())
            .map(|class| {
                precision_recall(self.predictions.iter().map(|p| (p.probabilities[class], p.truth == class)))
            })
            .collect();
        Summary {
            decision: *rule,
            per_class: confusion.per_class(),
            macro_figures: confusion.macro_figures(),
            accuracy: confusion.accuracy(),
            confusion,
            curves,
        }
    }
}
