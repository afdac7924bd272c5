//! `trainer export`: a training checkpoint → the bundle the browser loads (`model.json` and
//! burnpack weights), re-loaded and checked before success is reported.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use effilens::bundle::{MANIFEST_FILE, Manifest, WEIGHTS_FILE, WeightsDtype, WeightsFile, encode_weights, sha256_hex};
use effilens::Classifier;

use crate::atomic_file::write_synced;
use crate::model_source::{CheckpointOptions, checkpoint_name, export_source};

/// Largest probability difference accepted between the checkpoint and the re-loaded bundle.
const F32_TOLERANCE: f32 = 1e-5;
/// f16 storage rounds weights to ~3 significant digits.
const F16_TOLERANCE: f32 = 2e-2;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// A training checkpoint (.ckpt), e.g. checkpoints/best.ckpt; or ImageNet weights, `lite0`,
    /// `lite1`, `lite2` (`cargo xtask setup` caches them) or a lukemelas .pth, with their 1000
    /// classes: a backbone for the page's Teach, or an ImageNet classifier.
    #[arg(long)]
    model: String,
    #[command(flatten)]
    checkpoint: CheckpointOptions,
    /// The bundle directory to write (replaced if it holds a bundle already).
    #[arg(long)]
    out: PathBuf,
    /// Store convolution and classifier weights as f16 (half the download; batch norm stays f32).
    #[arg(long)]
    f16: bool,
    /// The model's name in the manifest [default: the output folder's name].
    #[arg(long)]
    name: Option<String>,
}

pub fn run(args: ExportArgs) -> Result<ExitCode> {
    let device = Device::flex();
    let (mut manifest, model) = export_source(&args.model, &args.checkpoint, &device)?;
    let dtype = if args.f16 { WeightsDtype::F16 } else { WeightsDtype::F32 };
    let weights = encode_weights(&model, dtype)?;
    manifest.name = args.name.clone().unwrap_or_else(|| checkpoint_name(&args.out));
    manifest.weights = WeightsFile { file: WEIGHTS_FILE.into(), dtype, sha256: sha256_hex(&weights), bytes: weights.len() as u64 };
    if args.out.exists() && !args.out.join(MANIFEST_FILE).is_file() {
        bail!("{} exists and is not a bundle: refusing to replace it", args.out.display());
    }
    let staging = sibling(&args.out, "partial");
    let old = sibling(&args.out, "old");
    for leftover in [&staging, &old] {
        if leftover.exists() && !is_export_leftover(leftover) {
            bail!("{} exists and is not a bundle this command left behind: move it away first", leftover.display());
        }
    }
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    let written = write_bundle(&staging, &manifest, &weights)
        .and_then(|()| verify(&staging, &Classifier::from_model(manifest.clone(), model, device.clone()), dtype));
    if let Err(error) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error.context(format!("export to {} failed; nothing was replaced", args.out.display())));
    }
    replace_dir(&staging, &args.out)?;
    println!(
        "exported {} ({}, {} classes: {}) to {} — {} weights, {} bytes, sha256 {}",
        manifest.name,
        manifest.arch,
        manifest.classes.len(),
        effilens_evaluation::formats::class_list(&manifest.classes),
        args.out.display(),
        if args.f16 { "f16" } else { "f32" },
        manifest.weights.bytes,
        manifest.weights.sha256
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes both files synced to disk, then the folder: the bundle survives a power cut once
/// `replace_dir` has renamed it into place.
fn write_bundle(dir: &Path, manifest: &Manifest, weights: &[u8]) -> Result<()> {
    write_synced(&dir.join(WEIGHTS_FILE), |file| Ok(file.write_all(weights)?))?;
    write_synced(&dir.join(MANIFEST_FILE), |file| Ok(file.write_all((manifest.to_json() + "\n").as_bytes())?))?;
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Whether `dir` is what an interrupted export leaves (`<out>.partial` or `<out>.old`): a folder
/// holding nothing but a bundle's files. Anything else there is the user's and is not deleted.
fn is_export_leftover(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().all(|entry| {
        let name = entry.file_name();
        (name == MANIFEST_FILE || name == WEIGHTS_FILE) && entry.path().is_file()
    })
}

/// Re-reads the written bundle as the browser would and compares its outputs with the
/// checkpoint's on a fixed probe input.
fn verify(dir: &Path, original: &Classifier, dtype: WeightsDtype) -> Result<()> {
    let (manifest, weights) = crate::model_source::read_bundle(dir)?;
    let reloaded = Classifier::load(manifest, &weights, original.device().clone())
        .context("the written bundle does not load")?;
    let size = original.preprocessor().image_size;
    let probe: Vec<f32> = (0..3 * size * size).map(|i| ((i as f32 * 0.618_034) % 1.0 - 0.5) * 4.0).collect();
    let inputs = [probe];
    let expected = pollster::block_on(original.probabilities(&inputs))?;
    let actual = pollster::block_on(reloaded.probabilities(&inputs))?;
    let tolerance = if dtype == WeightsDtype::F16 { F16_TOLERANCE } else { F32_TOLERANCE };
    let worst = expected[0].iter().zip(&actual[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    if worst > tolerance {
        bail!("the written bundle's outputs differ from the checkpoint's by {worst} (more than {tolerance})");
    }
    Ok(())
}

/// Swaps `staging` into `target`, keeping the old bundle until the new one is in place.
fn replace_dir(staging: &Path, target: &Path) -> Result<()> {
    let old = sibling(target, "old");
    let _ = std::fs::remove_dir_all(&old);
    if target.exists() {
        std::fs::rename(target, &old).with_context(|| format!("cannot move {} aside", target.display()))?;
    }
    std::fs::rename(staging, target).with_context(|| format!("cannot move the new bundle to {}", target.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}
