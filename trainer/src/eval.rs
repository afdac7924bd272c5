//! `trainer eval`: confusion matrix, per-class precision/recall/F1 and accuracy on a labeled
//! folder, and one line per image in the original recipe's predictions.txt format.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use effilens::Classifier;
use rayon::prelude::*;
use serde_json::json;

use crate::checkpoint::write_file_atomic;
use crate::dataset::{ImageFolder, Skipped};
use crate::device::DeviceChoice;
use crate::images::set_workers;
use crate::metrics::Confusion;
use crate::model_source::{CheckpointOptions, load_classifier};

#[derive(clap::Args)]
pub struct EvalArgs {
    /// A bundle directory, a training checkpoint (.ckpt), or a lukemelas .pth.
    #[arg(long, alias = "weights")]
    model: String,
    #[command(flatten)]
    checkpoint: CheckpointOptions,
    /// Where the network runs: flex (CPU), wgpu, wgpu:N or cuda:N (see `trainer train --help`).
    #[arg(long, default_value_t = DeviceChoice::Flex)]
    device: DeviceChoice,
    /// Labeled images: DIR/<class>/<image>, class folders named as the model's classes.
    #[arg(long)]
    data: PathBuf,
    /// Write predictions here (and the same as JSON beside it, with a .json extension).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Two-class models: predict --positive when its probability reaches this threshold.
    #[arg(long, requires = "positive")]
    threshold: Option<f64>,
    /// The class --threshold applies to.
    #[arg(long, requires = "threshold")]
    positive: Option<String>,
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Threads decoding images (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

/// One classified image.
pub struct Prediction {
    pub path: String,
    pub truth: usize,
    pub probabilities: Vec<f32>,
    pub predicted: usize,
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    set_workers(args.workers)?;
    let classifier = load_classifier(&args.model, &args.checkpoint, &args.device.init()?)?;
    let classes = classifier.classes().to_vec();
    let rule = DecisionRule::new(&classes, args.threshold, args.positive.as_deref())?;
    let folder = ImageFolder::scan(&args.data, Some(&classes))?;
    let mut skipped = folder.skipped.clone();
    let mut predictions = classify_folder(&classifier, &folder, &rule, args.batch_size.max(1), &mut skipped)?;
    predictions.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    if predictions.is_empty() {
        report_skipped(&skipped);
        bail!("{}: no readable images of the model's classes ({})", args.data.display(), classes.join(", "));
    }

    let mut confusion = Confusion::new(classes.len());
    for prediction in &predictions {
        confusion.add(prediction.truth, prediction.predicted);
    }
    print!("{}", confusion.report(&classes));
    if let Some((positive, threshold)) = rule.threshold {
        println!("decision: {} when p({}) >= {threshold}", classes[positive], classes[positive]);
    }
    report_skipped(&skipped);
    if let Some(out) = &args.out {
        write_file_atomic(out, predictions_text(&predictions, classes.len()).as_bytes())?;
        let report = json!({
            "model": args.model,
            "data": args.data,
            "metrics": confusion.to_json(&classes),
            "threshold": rule.threshold.map(|(positive, threshold)| json!({"positive": classes[positive], "threshold": threshold})),
            "predictions": predictions.iter().map(|p| json!({
                "path": p.path,
                "true": classes[p.truth],
                "predicted": classes[p.predicted],
                "probabilities": p.probabilities,
            })).collect::<Vec<_>>(),
            "skipped": skipped.iter().map(|s| json!({"path": s.path, "reason": s.reason})).collect::<Vec<_>>(),
        });
        write_file_atomic(&out.with_extension("json"), serde_json::to_string_pretty(&report)?.as_bytes())?;
        eprintln!("wrote {} and {}", out.display(), out.with_extension("json").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Argmax, or a threshold on one class of a two-class model.
pub struct DecisionRule {
    pub threshold: Option<(usize, f64)>,
}

impl DecisionRule {
    pub fn new(classes: &[String], threshold: Option<f64>, positive: Option<&str>) -> Result<Self> {
        let (Some(threshold), Some(positive)) = (threshold, positive) else {
            return Ok(Self { threshold: None });
        };
        if classes.len() != 2 {
            bail!("--threshold needs a two-class model; this one has {} classes", classes.len());
        }
        if !(0.0..=1.0).contains(&threshold) {
            bail!("--threshold must be between 0 and 1");
        }
        let index = classes
            .iter()
            .position(|class| class == positive)
            .with_context(|| format!("--positive '{positive}' is not a class ({})", classes.join(", ")))?;
        Ok(Self { threshold: Some((index, threshold)) })
    }

    /// The predicted class; on ties the first class wins, as in the page.
    pub fn decide(&self, probabilities: &[f32]) -> usize {
        if let Some((positive, threshold)) = self.threshold {
            return if f64::from(probabilities[positive]) >= threshold { positive } else { 1 - positive };
        }
        let mut best = 0;
        for (class, &probability) in probabilities.iter().enumerate() {
            if probability > probabilities[best] {
                best = class;
            }
        }
        best
    }
}

/// Reads, decodes and classifies every sample of `folder`, `batch_size` at a time; unreadable
/// files go to `skipped`. What `trainer eval` spends its time on, and `trainer bench` times.
pub fn classify_folder(
    classifier: &Classifier,
    folder: &ImageFolder,
    rule: &DecisionRule,
    batch_size: usize,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<Prediction>> {
    let mut predictions = Vec::new();
    for batch in folder.samples.chunks(batch_size) {
        // Decoding dominates on large posters: spread it over the workers.
        let prepared: Vec<Result<Vec<f32>, String>> = batch
            .par_iter()
            .map(|sample| {
                let bytes = std::fs::read(&sample.path).map_err(|error| error.to_string())?;
                classifier.preprocessor().prepare(&bytes).map_err(|error| error.to_string())
            })
            .collect();
        let mut inputs = Vec::new();
        let mut members = Vec::new();
        for (sample, input) in batch.iter().zip(prepared) {
            match input {
                Ok(input) => {
                    inputs.push(input);
                    members.push(sample);
                }
                Err(reason) => skipped.push(Skipped { path: sample.path.clone(), reason }),
            }
        }
        let probabilities = pollster::block_on(classifier.probabilities(&inputs))?;
        for (sample, probabilities) in members.into_iter().zip(probabilities) {
            predictions.push(Prediction {
                path: sample.path.to_string_lossy().into_owned(),
                truth: sample.class,
                predicted: rule.decide(&probabilities),
                probabilities,
            });
        }
    }
    Ok(predictions)
}

/// `0.64460 0.35540 1 0 1 0 ./data/val/logo/13.jpeg`: probabilities, one-hot truth, one-hot
/// prediction, path.
pub fn predictions_text(predictions: &[Prediction], classes: usize) -> String {
    let one_hot = |class: usize| (0..classes).map(|c| if c == class { "1" } else { "0" }).collect::<Vec<_>>().join(" ");
    let mut text = String::new();
    for prediction in predictions {
        let probabilities: Vec<String> = prediction.probabilities.iter().map(|p| format!("{p:.5}")).collect();
        text += &format!(
            "{} {} {} {}\n",
            probabilities.join(" "),
            one_hot(prediction.truth),
            one_hot(prediction.predicted),
            prediction.path
        );
    }
    text
}

pub fn report_skipped(skipped: &[Skipped]) {
    if skipped.is_empty() {
        return;
    }
    eprintln!("skipped {} files:", skipped.len());
    for skip in skipped {
        eprintln!("  {}: {}", skip.path.display(), skip.reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_use_the_seed_recipes_format() {
        let prediction =
            Prediction { path: "./data/val/logo/13.jpeg".into(), truth: 0, probabilities: vec![0.6446, 0.3554], predicted: 0 };
        assert_eq!(predictions_text(&[prediction], 2), "0.64460 0.35540 1 0 1 0 ./data/val/logo/13.jpeg\n");
    }

    #[test]
    fn threshold_rule_picks_the_positive_class_at_the_threshold() {
        let classes = vec!["logo".to_owned(), "others".to_owned()];
        let rule = DecisionRule::new(&classes, Some(0.3), Some("logo")).unwrap();
        assert_eq!(rule.decide(&[0.3, 0.7]), 0);
        assert_eq!(rule.decide(&[0.29, 0.71]), 1);
        assert_eq!(DecisionRule::new(&classes, None, None).unwrap().decide(&[0.5, 0.5]), 0);
        assert!(DecisionRule::new(&classes, Some(0.5), Some("cat")).is_err());
    }
}
