//! The `wasm_bindgen` facade the page calls on its main thread: labeling a picked folder,
//! collecting the worker's results, and everything the dashboards and downloads show.
//!
//! A decision crosses the boundary as `(rule_positive, threshold)`: `rule_positive < 0` is argmax,
//! otherwise the threshold rule on that class. Structured results are JSON strings.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::curve::PrecisionRecall;
use crate::decision::DecisionRule;
use crate::formats;
use crate::labeling::{Labeling, ListedFile, folder_classes, label_files};
use crate::report::{Evaluation, Figures, ModelInfo};
use crate::skip::SkipReason;
use crate::table::{Filter, SortKey, TableQuery, table_page};

fn error(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// The most probable class (the first of equally probable ones), as every report decides it.
#[wasm_bindgen]
pub fn argmax(probabilities: Vec<f32>) -> usize {
    DecisionRule::Argmax.decide(&probabilities)
}

/// The `count` most probable classes, the most probable first (ties in class order).
#[wasm_bindgen]
pub fn ranked(probabilities: Vec<f32>, count: usize) -> Vec<u32> {
    crate::decision::ranked(&probabilities).into_iter().take(count).map(|class| class as u32).collect()
}

/// A folder's files labeled: what to classify, in report order, and what is skipped.
#[wasm_bindgen]
pub struct FolderPlan {
    root: String,
    labeling: Labeling,
}

/// Labels the files of a picked or dropped folder. `paths` start with the folder's own name
/// (`val/logo/1.jpg`, as `webkitRelativePath`); `sizes` are bytes, negative where unknown.
#[wasm_bindgen(js_name = planFolder)]
pub fn plan_folder(paths: Vec<String>, sizes: Vec<f64>, classes: Vec<String>) -> FolderPlan {
    let (root, files) = listed_files(&paths, &sizes);
    let labeling = label_files(&root, &files, &classes);
    FolderPlan { root, labeling }
}

/// Labels the files of a folder to teach from: its classes are its first-level folders (see
/// [`folder_classes`]).
#[wasm_bindgen(js_name = planTeaching)]
pub fn plan_teaching(paths: Vec<String>, sizes: Vec<f64>) -> FolderPlan {
    let (root, files) = listed_files(&paths, &sizes);
    let labeling = label_files(&root, &files, &folder_classes(&files));
    FolderPlan { root, labeling }
}

/// The picked folder's name and its files relative to it.
fn listed_files(paths: &[String], sizes: &[f64]) -> (String, Vec<ListedFile>) {
    let root = paths.first().and_then(|path| path.split('/').next()).unwrap_or_default().to_owned();
    let files = paths
        .iter()
        .enumerate()
        .map(|(index, path)| ListedFile {
            path: path.strip_prefix(&format!("{root}/")).unwrap_or(path).to_owned(),
            size: sizes.get(index).filter(|size| **size >= 0.0).map(|size| *size as u64),
        })
        .collect();
    (root, files)
}

#[wasm_bindgen]
impl FolderPlan {
    pub fn root(&self) -> String {
        self.root.clone()
    }

    pub fn classes(&self) -> Vec<String> {
        self.labeling.classes.clone()
    }

    /// Positions in the `paths` given to `planFolder`, in the order to classify them.
    #[wasm_bindgen(js_name = imageIndices)]
    pub fn image_indices(&self) -> Vec<u32> {
        self.labeling.images.iter().map(|image| image.index as u32).collect()
    }

    #[wasm_bindgen(js_name = imageClasses)]
    pub fn image_classes(&self) -> Vec<u32> {
        self.labeling.images.iter().map(|image| image.class as u32).collect()
    }

    #[wasm_bindgen(js_name = imagePaths)]
    pub fn image_paths(&self) -> Vec<String> {
        self.labeling.images.iter().map(|image| image.path.clone()).collect()
    }

    #[wasm_bindgen(js_name = skippedCount)]
    pub fn skipped_count(&self) -> usize {
        self.labeling.skipped.len()
    }
}

#[derive(Serialize)]
struct SummaryView<'a> {
    decision: String,
    images: usize,
    skipped: usize,
    complete: bool,
    #[serde(flatten)]
    figures: Figures<'a>,
    /// The curve of the class the page focuses on.
    curve: &'a PrecisionRecall,
    /// The classes the confusion matrix and the per-class table show: every class of a model of
    /// a few, else those that occur (ImageNet's 1000 would be a million cells).
    shown: Vec<usize>,
}

/// Whether the page lists every class of a model of `count` (its bars, its dashboards), or only
/// the most probable or the occurring ones.
#[wasm_bindgen(js_name = fewClasses)]
pub fn few_classes(count: usize) -> bool {
    formats::lists_every_class(count)
}

/// A model's classes for a sentence: all of a few, else the first ten and how many more.
#[wasm_bindgen(js_name = classList)]
pub fn class_list(classes: Vec<String>) -> String {
    formats::class_list(&classes)
}

/// One evaluation, filled as the worker classifies, or read from a report.
#[wasm_bindgen(js_name = Evaluation)]
pub struct WebEvaluation {
    evaluation: Evaluation,
    /// The decision a report was written with (argmax for a fresh evaluation).
    rule: DecisionRule,
}

#[wasm_bindgen(js_class = Evaluation)]
impl WebEvaluation {
    #[wasm_bindgen(constructor)]
    pub fn new(model_name: String, arch: String, classes: Vec<String>, data: String) -> WebEvaluation {
        let model = ModelInfo { name: model_name, arch };
        Self { evaluation: Evaluation::new(model, classes, data), rule: DecisionRule::Argmax }
    }

    /// A downloaded or `trainer eval` report (`predictions.json`).
    #[wasm_bindgen(js_name = fromReport)]
    pub fn from_report(text: &str) -> Result<WebEvaluation, JsError> {
        let (evaluation, rule) = formats::parse_report(text).map_err(error)?;
        Ok(Self { evaluation, rule })
    }

    /// The files a plan skipped.
    #[wasm_bindgen(js_name = addPlanSkipped)]
    pub fn add_plan_skipped(&mut self, plan: &FolderPlan) {
        self.evaluation.skipped.extend(plan.labeling.skipped.iter().cloned());
    }

    pub fn add(&mut self, path: String, truth: usize, probabilities: Vec<f32>) -> Result<(), JsError> {
        self.evaluation.add(path, truth, probabilities).map_err(error)
    }

    /// The decoder's message for an image it could not use (already worded by Rust).
    #[wasm_bindgen(js_name = skipUndecodable)]
    pub fn skip_undecodable(&mut self, path: String, message: String) {
        self.evaluation.skip(path, &SkipReason::Undecodable(message));
    }

    /// The browser could not read the file.
    #[wasm_bindgen(js_name = skipUnreadable)]
    pub fn skip_unreadable(&mut self, path: String, message: String) {
        self.evaluation.skip(path, &SkipReason::Unreadable(message));
    }

    /// The browser could not list a folder.
    #[wasm_bindgen(js_name = skipUnlisted)]
    pub fn skip_unlisted(&mut self, path: String, message: String) {
        self.evaluation.skip(path, &SkipReason::Unlisted(message));
    }

    /// Marks the evaluation as stopped early, then orders it for reporting.
    pub fn finish(&mut self, complete: bool) {
        self.evaluation.complete = complete;
        self.evaluation.sort();
    }

    pub fn classes(&self) -> Vec<String> {
        self.evaluation.classes.clone()
    }

    pub fn data(&self) -> String {
        self.evaluation.data.clone()
    }

    #[wasm_bindgen(js_name = modelName)]
    pub fn model_name(&self) -> String {
        self.evaluation.model.name.clone()
    }

    #[wasm_bindgen(js_name = predictionCount)]
    pub fn prediction_count(&self) -> usize {
        self.evaluation.predictions.len()
    }

    pub fn path(&self, index: usize) -> Option<String> {
        self.evaluation.predictions.get(index).map(|prediction| prediction.path.clone())
    }

    /// `[{ path, reason }]` in path order.
    #[wasm_bindgen(js_name = skippedJson)]
    pub fn skipped_json(&self) -> String {
        json(&self.evaluation.skipped)
    }

    /// `{ rule_positive, threshold }` of a read report (`rule_positive` -1 for argmax).
    #[wasm_bindgen(js_name = decisionJson)]
    pub fn decision_json(&self) -> String {
        match self.rule {
            DecisionRule::Argmax => json(&serde_json::json!({ "rule_positive": -1, "threshold": 0.5 })),
            DecisionRule::Threshold { positive, threshold } => {
                json(&serde_json::json!({ "rule_positive": positive, "threshold": threshold }))
            }
        }
    }

    /// Figures under a decision, and the precision–recall curve of class `focus`.
    #[wasm_bindgen(js_name = summaryJson)]
    pub fn summary_json(&self, rule_positive: i32, threshold: f64, focus: usize) -> Result<String, JsError> {
        let rule = self.rule_of(rule_positive, threshold)?;
        let summary = self.evaluation.summary(&rule);
        let classes = &self.evaluation.classes;
        let curve = summary.curves.get(focus).ok_or_else(|| error(format!("no class {focus}")))?;
        Ok(json(&SummaryView {
            decision: rule.describe(classes),
            images: self.evaluation.predictions.len(),
            skipped: self.evaluation.skipped.len(),
            complete: self.evaluation.complete,
            shown: if formats::lists_every_class(classes.len()) { (0..classes.len()).collect() } else { summary.confusion.occurring() },
            figures: summary.figures(classes),
            curve,
        }))
    }

    #[wasm_bindgen(js_name = predictionsTxt)]
    pub fn predictions_txt(&self, rule_positive: i32, threshold: f64) -> Result<String, JsError> {
        Ok(formats::predictions_txt(&self.evaluation, &self.rule_of(rule_positive, threshold)?))
    }

    #[wasm_bindgen(js_name = predictionsCsv)]
    pub fn predictions_csv(&self, rule_positive: i32, threshold: f64) -> Result<String, JsError> {
        Ok(formats::predictions_csv(&self.evaluation, &self.rule_of(rule_positive, threshold)?))
    }

    #[wasm_bindgen(js_name = reportJson)]
    pub fn report_json(&self, rule_positive: i32, threshold: f64) -> Result<String, JsError> {
        Ok(formats::report_json(&self.evaluation, &self.rule_of(rule_positive, threshold)?))
    }

    /// One page of the predictions table: `{ total, first, rows: [{ index, path, true,
    /// predicted, correct, probabilities }] }`. `sort`: `path`, `true`, `predicted` or a class index.
    #[wasm_bindgen(js_name = tableJson)]
    #[allow(clippy::too_many_arguments)]
    pub fn table_json(
        &self,
        rule_positive: i32,
        threshold: f64,
        positive: usize,
        filter: &str,
        sort: &str,
        descending: bool,
        page: usize,
        page_size: usize,
    ) -> Result<String, JsError> {
        let query = TableQuery {
            rule: self.rule_of(rule_positive, threshold)?,
            positive,
            filter: Filter::parse(filter).map_err(error)?,
            sort: SortKey::parse(sort).map_err(error)?,
            descending,
            page,
            page_size,
        };
        Ok(json(&table_page(&self.evaluation, &query)))
    }

    fn rule_of(&self, rule_positive: i32, threshold: f64) -> Result<DecisionRule, JsError> {
        let Ok(positive) = usize::try_from(rule_positive) else {
            return Ok(DecisionRule::Argmax);
        };
        let classes = &self.evaluation.classes;
        let name = classes.get(positive).ok_or_else(|| error(format!("no class {positive}")))?;
        DecisionRule::threshold(classes, name, threshold).map_err(error)
    }
}
