//! `trainer predict`: the most likely classes of each image, and where the network saw one
//! (`--cam`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use effilens::Classifier;

use crate::device::DeviceChoice;
use crate::model_source::{CheckpointOptions, load_classifier};

#[derive(clap::Args)]
pub struct PredictArgs {
    /// A bundle directory (or its model.json), a lukemelas .pth file, or lite0/lite1/lite2 for
    /// the ImageNet weights `cargo xtask setup` cached.
    #[arg(long, short = 'w', alias = "model")]
    weights: String,
    #[command(flatten)]
    checkpoint: CheckpointOptions,
    /// Where the network runs: flex (CPU), wgpu, wgpu:N or cuda:N (see `trainer train --help`).
    #[arg(long, default_value_t = DeviceChoice::Flex)]
    device: DeviceChoice,
    /// How many classes to print per image.
    #[arg(long, short = 'k', default_value_t = 5)]
    top_k: usize,
    /// Also write where the network saw the class (its class activation map over the image, the
    /// page's "Show where"), as PNG: this file for one image, or `<name>.cam.png` in this folder
    /// (for several, or where it is one already).
    #[arg(long)]
    cam: Option<PathBuf>,
    /// The class the map is of [default: each image's most probable].
    #[arg(long, requires = "cam")]
    cam_class: Option<String>,
    /// Images to classify (JPEG, PNG, WebP, GIF, BMP).
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

pub fn run(args: PredictArgs) -> Result<ExitCode> {
    let classifier = load_classifier(&args.weights, &args.checkpoint, &args.device.init()?)?;
    let cam_class = match &args.cam_class {
        Some(name) => Some(classifier.classes().iter().position(|class| class == name).with_context(|| {
            format!("--cam-class '{name}' is not one of the model's classes ({})", classifier.classes().join(", "))
        })?),
        None => None,
    };
    if let Some(cam) = &args.cam
        && args.images.len() > 1
    {
        std::fs::create_dir_all(cam).with_context(|| format!("--cam {}: cannot create the folder for several maps", cam.display()))?;
    }
    let mut failures = 0;
    for path in &args.images {
        match predict(&classifier, path, &args, cam_class) {
            Ok(lines) => println!("{}\n{lines}", path.display()),
            Err(reason) => {
                failures += 1;
                eprintln!("error: {}: {reason:#}", path.display());
            }
        }
    }
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The lines printed under one image: its top classes, and where its map went.
fn predict(classifier: &Classifier, path: &Path, args: &PredictArgs, cam_class: Option<usize>) -> Result<String> {
    let bytes = std::fs::read(path)?;
    let mut lines = Vec::new();
    let probabilities = match &args.cam {
        None => {
            let results = pollster::block_on(classifier.classify_batch(&[&bytes]))?;
            results.into_iter().next().expect("one result per image")?
        }
        Some(cam) => {
            let located = pollster::block_on(classifier.locate(&bytes, cam_class))??;
            let out = if args.images.len() > 1 || cam.is_dir() {
                cam.join(format!("{}.cam.png", path.file_stem().unwrap_or_default().to_string_lossy()))
            } else {
                cam.clone()
            };
            located.overlay.save_with_format(&out, image::ImageFormat::Png).with_context(|| format!("cannot write {}", out.display()))?;
            let (x, y) = located.map.peak();
            lines.push(format!(
                "  map of {} peaks at {:.0} % across, {:.0} % down: {}",
                classifier.classes()[located.map.class],
                x * 100.0,
                y * 100.0,
                out.display()
            ));
            located.probabilities
        }
    };
    let ranked = effilens_evaluation::decision::ranked(&probabilities);
    let mut top: Vec<String> =
        ranked.into_iter().take(args.top_k).map(|class| format!("  {:.4}  {}", probabilities[class], classifier.classes()[class])).collect();
    top.extend(lines);
    Ok(top.join("\n"))
}
