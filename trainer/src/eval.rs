//! `trainer eval`: classify a labeled folder, then report through the evaluation core (the same
//! code the page runs): the confusion matrix and per-class figures on the terminal, and
//! `predictions.txt`, `predictions.json` and `predictions.csv` files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use effilens::Classifier;
use effilens::bundle::{MANIFEST_FILE, Manifest};
use effilens_evaluation::formats::{predictions_csv, predictions_txt, report_json};
use effilens_evaluation::pointing::{PointingGame, parse_boxes};
use effilens_evaluation::skip::skipped_text;
use effilens_evaluation::{DecisionRule, Evaluation, ModelInfo, Shard, SkipReason};
use rayon::prelude::*;

use crate::atomic_file::write_file_atomic;
use crate::dataset::ImageFolder;
use crate::device::DeviceChoice;
use crate::images::{read_sample, set_workers};
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
    /// Write predictions.txt here (its folder made where missing), and the JSON report and CSV
    /// beside it (.json, .csv).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    decision: DecisionArgs,
    /// Evaluate only shard I of N (0 <= I < N): a share of the folder chosen by a hash of each
    /// file's path, the same on every machine. `trainer merge` combines the shards' reports.
    #[arg(long, value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Object boxes (`file,x,y,width,height` in pixels, files relative to the CSV's folder, as
    /// `data/sample/boxes.csv`): also play the pointing game, how often the class activation map
    /// of each boxed image's class peaks on its box (within 15 px).
    #[arg(long)]
    boxes: Option<PathBuf>,
    /// Also record the figures in the bundle's `model.json`, under `evaluations.<the data
    /// folder's name>` (replacing an earlier record of that name). --model must be a bundle.
    #[arg(long, conflicts_with = "shard")]
    record: bool,
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Threads decoding images (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

/// How an image's class is decided from its probabilities.
#[derive(clap::Args)]
pub struct DecisionArgs {
    /// Two-class models: predict --positive when its probability reaches this threshold
    /// (p >= threshold); without it, the most probable class.
    #[arg(long, requires = "positive")]
    threshold: Option<f64>,
    /// The class --threshold applies to.
    #[arg(long, requires = "threshold")]
    positive: Option<String>,
}

impl DecisionArgs {
    pub fn rule(&self, classes: &[String]) -> Result<Option<DecisionRule>> {
        match (&self.positive, self.threshold) {
            (Some(positive), Some(threshold)) => {
                Ok(Some(DecisionRule::threshold(classes, positive, threshold).map_err(anyhow::Error::msg)?))
            }
            _ => Ok(None),
        }
    }
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    if args.record && !Path::new(&args.model).join(MANIFEST_FILE).is_file() {
        bail!("--record needs --model to be a bundle folder; {} has no {MANIFEST_FILE}", args.model);
    }
    // Before the evaluation, not after it: a folder that cannot be made must not cost its run.
    if let Some(folder) = args.out.as_deref().and_then(Path::parent).filter(|folder| !folder.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).with_context(|| format!("cannot make the folder of --out, {}", folder.display()))?;
    }
    set_workers(args.workers)?;
    let classifier = load_classifier(&args.model, &args.checkpoint, &args.device.init()?)?;
    let classes = classifier.classes().to_vec();
    let rule = args.decision.rule(&classes)?.unwrap_or(DecisionRule::Argmax);
    let mut folder = ImageFolder::scan(&args.data, Some(&classes))?;
    if let Some(shard) = args.shard {
        folder.keep_shard(shard);
    }
    let manifest = classifier.manifest();
    let model = ModelInfo { name: manifest.name.clone(), arch: manifest.arch.to_string() };
    let mut evaluation = Evaluation::new(model, classes.clone(), args.data.to_string_lossy());
    evaluation.skipped = folder.skipped.clone();
    evaluation.shard = args.shard;
    classify_folder(&classifier, &folder, args.batch_size.max(1), &mut evaluation)?;
    if let Some(boxes) = &args.boxes {
        evaluation.pointing_game = Some(pointing_game(&classifier, &folder, boxes)?);
    }
    evaluation.sort();
    if evaluation.predictions.is_empty() && args.shard.is_none() {
        eprint!("{}", skipped_text(&evaluation.skipped));
        bail!("{}: no readable images of the model's classes ({})", args.data.display(), classes.join(", "));
    }
    report(&evaluation, &rule, args.out.as_deref())?;
    if args.record {
        record(Path::new(&args.model), &args.data, &evaluation, &rule)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the evaluation's figures into the bundle's manifest, leaving every other field as it was.
fn record(bundle: &Path, data: &Path, evaluation: &Evaluation, rule: &DecisionRule) -> Result<()> {
    let manifest_path = bundle.join(MANIFEST_FILE);
    let Some(key) = data.canonicalize().ok().and_then(|path| path.file_name().map(|name| name.to_string_lossy().into_owned())) else {
        bail!("--record: {} has no folder name to record the figures under", data.display());
    };
    let text = std::fs::read_to_string(&manifest_path).with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let mut manifest = Manifest::parse(&text).with_context(|| format!("{}", manifest_path.display()))?;
    let summary = evaluation.summary(rule);
    let entry = serde_json::json!({
        "data": data.to_string_lossy(),
        "images": evaluation.predictions.len(),
        "decision": rule.describe(&evaluation.classes),
        "figures": summary.figures(&evaluation.classes),
        "pointing_game": evaluation.pointing_game,
    });
    if !manifest.evaluations.is_object() {
        manifest.evaluations = serde_json::json!({});
    }
    manifest.evaluations[&key] = entry;
    write_file_atomic(&manifest_path, (manifest.to_json() + "\n").as_bytes())?;
    eprintln!("recorded in {} as evaluations.{key}", manifest_path.display());
    Ok(())
}

/// Prints the summary and the skipped files, and writes the three report files when asked.
pub fn report(evaluation: &Evaluation, rule: &DecisionRule, out: Option<&Path>) -> Result<()> {
    print!("{}", evaluation.summary(rule).confusion.text(&evaluation.classes));
    println!("decision: {}", rule.describe(&evaluation.classes));
    if let Some(game) = evaluation.pointing_game {
        let score = game.score.map_or_else(|| "—".to_owned(), |score| format!("{score:.3}"));
        println!("pointing game: {score} (the map of the image's class peaks on its box in {} of {} boxed images)", game.hits, game.images);
    }
    eprint!("{}", skipped_text(&evaluation.skipped));
    if let Some(out) = out {
        let (json, csv) = (out.with_extension("json"), out.with_extension("csv"));
        write_file_atomic(out, predictions_txt(evaluation, rule).as_bytes())?;
        write_file_atomic(&json, report_json(evaluation, rule).as_bytes())?;
        write_file_atomic(&csv, predictions_csv(evaluation, rule).as_bytes())?;
        eprintln!("wrote {}, {} and {}", out.display(), json.display(), csv.display());
    }
    Ok(())
}

/// The pointing game over the samples of `folder` that `boxes` (a CSV) gives a box.
fn pointing_game(classifier: &Classifier, folder: &ImageFolder, boxes: &Path) -> Result<PointingGame> {
    let text = std::fs::read_to_string(boxes).with_context(|| format!("cannot read --boxes {}", boxes.display()))?;
    let base = boxes.parent().unwrap_or(Path::new("."));
    let mut by_path = std::collections::HashMap::new();
    for (file, pixel_box) in parse_boxes(&text).map_err(|error| anyhow::anyhow!("--boxes {}: {error}", boxes.display()))? {
        if let Ok(path) = base.join(file).canonicalize() {
            by_path.insert(path, pixel_box);
        }
    }
    let mut game = PointingGame::default();
    for sample in &folder.samples {
        let Some(pixel_box) = sample.path.canonicalize().ok().and_then(|path| by_path.get(&path)) else { continue };
        let Ok(bytes) = read_sample(sample, classifier.preprocessor().limits.max_bytes) else { continue };
        if let Ok(located) = pollster::block_on(classifier.locate(&bytes, Some(sample.class)))? {
            game.add(pixel_box.is_hit(located.map.peak(), located.image_size));
        }
    }
    if game.images == 0 {
        bail!("--boxes {}: none of its files is among the evaluated images", boxes.display());
    }
    Ok(game)
}

/// Reads, decodes and classifies every sample of `folder`, `batch_size` at a time, into
/// `evaluation`; files that cannot be read or decoded are skipped there with the reason. What
/// `trainer eval` spends its time on, and `trainer bench` times.
pub fn classify_folder(classifier: &Classifier, folder: &ImageFolder, batch_size: usize, evaluation: &mut Evaluation) -> Result<()> {
    for batch in folder.samples.chunks(batch_size) {
        // Decoding dominates on large posters: spread it over the workers.
        let prepared: Vec<Result<Vec<f32>, SkipReason>> = batch
            .par_iter()
            .map(|sample| {
                let bytes = read_sample(sample, classifier.preprocessor().limits.max_bytes)?;
                classifier.preprocessor().prepare(&bytes).map_err(|error| SkipReason::Undecodable(error.to_string()))
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
                Err(reason) => evaluation.skip(sample.display.clone(), &reason),
            }
        }
        // A batch of one takes another path through the matrix products (a matrix-vector
        // product), whose sums round differently: computing a lone image beside a copy of itself
        // gives every image the same probabilities whatever batch or shard it falls in.
        let lone = inputs.len() == 1;
        if lone {
            inputs.push(inputs[0].clone());
        }
        let mut probabilities = pollster::block_on(classifier.probabilities(&inputs))?;
        probabilities.truncate(if lone { 1 } else { probabilities.len() });
        for (sample, probabilities) in members.into_iter().zip(probabilities) {
            evaluation.add(sample.display.clone(), sample.class, probabilities).map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}
