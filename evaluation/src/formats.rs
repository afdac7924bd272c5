//! The files an evaluation is downloaded or written as, the same bytes from the trainer and the
//! page: `predictions.txt` (the original recipe's format), `predictions.json` (the whole report,
//! which can be read back) and `predictions.csv`.

use serde::{Deserialize, Serialize};

use crate::decision::DecisionRule;
use crate::pointing::PointingGame;
use crate::report::{Evaluation, Figures, ModelInfo};
use crate::shard::Shard;
use crate::skip::Skipped;

pub const TEXT_FILE: &str = "predictions.txt";
pub const JSON_FILE: &str = "predictions.json";
pub const CSV_FILE: &str = "predictions.csv";

/// The JSON report's `format` and `format_version`.
const FORMAT: &str = "effilens-evaluation";
const FORMAT_VERSION: u32 = 1;

/// Whether a model of `count` classes has every class listed (the page's bars and dashboards, a
/// sentence naming its classes), or only the most probable, occurring or first ones.
pub fn lists_every_class(count: usize) -> bool {
    count <= 12
}

/// A model's classes for a sentence: all of a few, else the first ten and how many more (1000
/// ImageNet names are not a line to read).
pub fn class_list(classes: &[String]) -> String {
    const FIRST: usize = 10;
    if lists_every_class(classes.len()) {
        classes.join(", ")
    } else {
        format!("{}, … ({} more)", classes[..FIRST].join(", "), classes.len() - FIRST)
    }
}

/// `0.64460 0.35540 1 0 1 0 ./data/val/logo/13.jpeg`: probabilities with 5 decimals, one-hot
/// true class, one-hot predicted class, path; one line per image in path order.
pub fn predictions_txt(evaluation: &Evaluation, rule: &DecisionRule) -> String {
    let classes = evaluation.classes.len();
    let one_hot = |class: usize| (0..classes).map(|c| if c == class { "1" } else { "0" }).collect::<Vec<_>>().join(" ");
    let mut text = String::new();
    for (prediction, predicted) in evaluation.predictions.iter().zip(evaluation.predicted(rule)) {
        let probabilities: Vec<String> = prediction.probabilities.iter().map(|p| format!("{p:.5}")).collect();
        text += &format!("{} {} {} {}\n", probabilities.join(" "), one_hot(prediction.truth), one_hot(predicted), prediction.path);
    }
    text
}

/// A header, then per image: path, true, predicted, correct (yes/no), p(<class>)… with 5 decimals.
/// RFC 4180 quoting, CRLF line ends.
pub fn predictions_csv(evaluation: &Evaluation, rule: &DecisionRule) -> String {
    let classes = &evaluation.classes;
    let mut header = vec!["path".to_owned(), "true".to_owned(), "predicted".to_owned(), "correct".to_owned()];
    header.extend(classes.iter().map(|class| format!("p({class})")));
    let mut rows = vec![header];
    for (prediction, predicted) in evaluation.predictions.iter().zip(evaluation.predicted(rule)) {
        let mut row = vec![
            prediction.path.clone(),
            classes[prediction.truth].clone(),
            classes[predicted].clone(),
            if predicted == prediction.truth { "yes" } else { "no" }.to_owned(),
        ];
        row.extend(prediction.probabilities.iter().map(|p| format!("{p:.5}")));
        rows.push(row);
    }
    rows.iter().map(|row| row.iter().map(|field| csv_field(field)).collect::<Vec<_>>().join(",") + "\r\n").collect()
}

/// One CSV field. Text a spreadsheet would run as a formula (starting with = + - @ tab or CR)
/// gets a leading apostrophe: file and class names come from whoever made the files.
pub fn csv_field(value: &str) -> String {
    let mut text = value.to_owned();
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        text.insert(0, '\'');
    }
    if text.contains(['"', ',', '\r', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "lowercase")]
enum DecisionEntry {
    Argmax,
    Threshold { positive: String, threshold: f64 },
}

#[derive(Serialize, Deserialize)]
struct PredictionEntry {
    path: String,
    #[serde(rename = "true")]
    truth: String,
    #[serde(default)]
    predicted: String,
    #[serde(default)]
    correct: bool,
    probabilities: Vec<f32>,
}

#[derive(Serialize)]
struct ReportOut<'a> {
    format: &'static str,
    format_version: u32,
    model: &'a ModelInfo,
    data: &'a str,
    classes: &'a [String],
    decision: DecisionEntry,
    complete: bool,
    /// Only in a shard's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<Shard>,
    images: usize,
    skipped_files: usize,
    #[serde(flatten)]
    figures: Figures<'a>,
    /// Only where object boxes were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pointing_game: Option<PointingGame>,
    predictions: Vec<PredictionEntry>,
    skipped: &'a [Skipped],
}

/// What reading a report needs; the figures are recomputed from the predictions.
#[derive(Deserialize)]
struct ReportIn {
    format: String,
    format_version: u32,
    #[serde(default)]
    model: ModelInfo,
    #[serde(default)]
    data: String,
    classes: Vec<String>,
    decision: DecisionEntry,
    #[serde(default = "complete_by_default")]
    complete: bool,
    #[serde(default)]
    shard: Option<Shard>,
    #[serde(default)]
    pointing_game: Option<PointingGame>,
    predictions: Vec<PredictionEntry>,
    #[serde(default)]
    skipped: Vec<Skipped>,
}

fn complete_by_default() -> bool {
    true
}

fn decision_entry(rule: &DecisionRule, classes: &[String]) -> DecisionEntry {
    match *rule {
        DecisionRule::Argmax => DecisionEntry::Argmax,
        DecisionRule::Threshold { positive, threshold } => {
            DecisionEntry::Threshold { positive: classes[positive].clone(), threshold }
        }
    }
}

/// The whole evaluation: model, folder, decision, figures, every prediction with its
/// probabilities (as exact as f32 prints) and every skipped file with its reason. Pretty-printed,
/// ending with a newline.
pub fn report_json(evaluation: &Evaluation, rule: &DecisionRule) -> String {
    let summary = evaluation.summary(rule);
    let classes = &evaluation.classes;
    let predicted = evaluation.predicted(rule);
    let report = ReportOut {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        model: &evaluation.model,
        data: &evaluation.data,
        classes,
        decision: decision_entry(rule, classes),
        complete: evaluation.complete,
        shard: evaluation.shard,
        images: evaluation.predictions.len(),
        skipped_files: evaluation.skipped.len(),
        figures: summary.figures(classes),
        pointing_game: evaluation.pointing_game,
        predictions: evaluation
            .predictions
            .iter()
            .zip(predicted)
            .map(|(prediction, predicted)| PredictionEntry {
                path: prediction.path.clone(),
                truth: classes[prediction.truth].clone(),
                predicted: classes[predicted].clone(),
                correct: predicted == prediction.truth,
                probabilities: prediction.probabilities.clone(),
            })
            .collect(),
        skipped: &evaluation.skipped,
    };
    serde_json::to_string_pretty(&report).expect("a report always serialises") + "\n"
}

/// Reads a report back (one `trainer eval` wrote, or one downloaded from the page): the
/// evaluation and the decision it was written with. Figures in the file are ignored and
/// recomputed; what does not fit together is an error that says where.
pub fn parse_report(text: &str) -> Result<(Evaluation, DecisionRule), String> {
    let report: ReportIn = serde_json::from_str(text).map_err(|error| format!("not an effilens evaluation report: {error}"))?;
    if report.format != FORMAT {
        return Err(format!("not an effilens evaluation report (format \"{}\")", report.format));
    }
    if report.format_version != FORMAT_VERSION {
        return Err(format!("report format version {} (this reads version {FORMAT_VERSION})", report.format_version));
    }
    if report.classes.len() < 2 {
        return Err("the report names fewer than two classes".into());
    }
    let class_of = |name: &str, what: &str| {
        report.classes.iter().position(|class| class == name).ok_or_else(|| format!("{what}: \"{name}\" is not one of the report's classes"))
    };
    let rule = match &report.decision {
        DecisionEntry::Argmax => DecisionRule::Argmax,
        DecisionEntry::Threshold { positive, threshold } => DecisionRule::threshold(&report.classes, positive, *threshold)?,
    };
    let mut evaluation = Evaluation::new(report.model.clone(), report.classes.clone(), report.data.clone());
    evaluation.complete = report.complete;
    evaluation.shard = report.shard;
    evaluation.pointing_game = report.pointing_game;
    for entry in report.predictions {
        let truth = class_of(&entry.truth, &entry.path)?;
        evaluation.add(entry.path, truth, entry.probabilities)?;
    }
    evaluation.skipped = report.skipped;
    evaluation.sort();
    Ok((evaluation, rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_list_names_a_few_classes_or_the_first_ten_and_a_count() {
        let names = |count: usize| (0..count).map(|i| format!("c{i}")).collect::<Vec<_>>();
        assert_eq!(class_list(&names(2)), "c0, c1");
        assert_eq!(class_list(&names(12)).matches(", ").count(), 11);
        assert_eq!(class_list(&names(1000)), "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, … (990 more)");
    }

    fn sample() -> Evaluation {
        let classes = vec!["logo".to_owned(), "others".to_owned()];
        let mut evaluation = Evaluation::new(ModelInfo { name: "logo".into(), arch: "efficientnet-lite0".into() }, classes, "val");
        evaluation.add("val/others/2.jpeg", 1, vec![0.3, 0.7]).unwrap();
        evaluation.add("val/logo/b c.jpeg", 0, vec![0.45, 0.55]).unwrap();
        evaluation.add("val/logo/a.jpeg", 0, vec![1.0, 0.0]).unwrap();
        evaluation.sort();
        evaluation
    }

    #[test]
    fn the_seed_format_sorted_by_path_and_predicted_by_the_rule() {
        let evaluation = sample();
        assert_eq!(
            predictions_txt(&evaluation, &DecisionRule::Argmax),
            "1.00000 0.00000 1 0 1 0 val/logo/a.jpeg\n0.45000 0.55000 1 0 0 1 val/logo/b c.jpeg\n0.30000 0.70000 0 1 0 1 val/others/2.jpeg\n"
        );
        let lower = DecisionRule::Threshold { positive: 0, threshold: 0.4 };
        assert!(predictions_txt(&evaluation, &lower).contains("0.45000 0.55000 1 0 1 0 val/logo/b c.jpeg\n"));
        let mut one = Evaluation::new(ModelInfo::default(), vec!["logo".into(), "others".into()], "");
        one.add("./data/val/logo/13.jpeg", 0, vec![0.6446, 0.3554]).unwrap();
        assert_eq!(predictions_txt(&one, &DecisionRule::Argmax), "0.64460 0.35540 1 0 1 0 ./data/val/logo/13.jpeg\n");
    }

    #[test]
    fn five_decimals_round_the_exact_binary_value_to_even() {
        // 1/64 = 0.015625 lies exactly between 0.01562 and 0.01563.
        assert_eq!(format!("{:.5}", 0.015625f32), "0.01562");
        assert_eq!(format!("{:.5}", 0.046875f32), "0.04688");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@cmd"), "'@cmd");
        let evaluation = sample();
        let csv = predictions_csv(&evaluation, &DecisionRule::Argmax);
        assert!(csv.starts_with("path,true,predicted,correct,p(logo),p(others)\r\nval/logo/a.jpeg,logo,logo,yes,1.00000,0.00000\r\n"));
    }

    #[test]
    fn a_report_reads_back_to_the_same_evaluation_and_bytes() {
        let mut evaluation = sample();
        evaluation.skip("val/notes.txt", &crate::SkipReason::NotInClassFolder);
        evaluation.complete = false;
        let rule = DecisionRule::Threshold { positive: 1, threshold: 0.6 };
        let json = report_json(&evaluation, &rule);
        let (read, read_rule) = parse_report(&json).unwrap();
        assert_eq!((&read, read_rule), (&evaluation, rule));
        assert_eq!(report_json(&read, &read_rule), json);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["decision"], serde_json::json!({"rule": "threshold", "positive": "others", "threshold": 0.6}));
        assert_eq!(value["confusion_matrix"], serde_json::json!([[2, 0], [0, 1]]));
    }

    #[test]
    fn reports_that_do_not_fit_say_why() {
        assert!(parse_report("{}").unwrap_err().starts_with("not an effilens evaluation report"));
        let json = report_json(&sample(), &DecisionRule::Argmax).replace("\"true\": \"others\"", "\"true\": \"cats\"");
        assert!(parse_report(&json).unwrap_err().contains("\"cats\" is not one of the report's classes"));
    }
}
