//! `trainer predict`: the most likely classes of each image.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

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
    /// Images to classify (JPEG, PNG, WebP, GIF, BMP).
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

pub fn run(args: PredictArgs) -> Result<ExitCode> {
    let classifier = load_classifier(&args.weights, &args.checkpoint, &args.device.init()?)?;
    let mut failures = 0;
    for path in &args.images {
        let probabilities = std::fs::read(path)
            .map_err(|error| error.to_string())
            .and_then(|bytes| {
                let results = pollster::block_on(classifier.classify_batch(&[&bytes])).map_err(|e| e.to_string())?;
                results.into_iter().next().expect("one result per image").map_err(|e| e.to_string())
            });
        match probabilities {
            Ok(probabilities) => {
                println!("{}", path.display());
                let mut ranked: Vec<(usize, f32)> = probabilities.into_iter().enumerate().collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
                for (class, probability) in ranked.into_iter().take(args.top_k) {
                    println!("  {probability:.4}  {}", classifier.classes()[class]);
                }
            }
            Err(reason) => {
                failures += 1;
                eprintln!("error: {}: {reason}", path.display());
            }
        }
    }
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
