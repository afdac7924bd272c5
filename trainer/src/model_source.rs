//! Everything a command can be pointed at to get a model: a bundle, a training checkpoint,
//! a lukemelas `.pth`, or a cached ImageNet checkpoint by name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use effilens::bundle::{self, FORMAT_VERSION, Manifest, WeightsDtype, WeightsFile, decode_weights};
use effilens::model::imagenet;
use effilens::model::weights::{classifier_classes, load_pytorch};
use effilens::{Arch, Classifier, EfficientNetConfig, Normalization};

use crate::checkpoint::{self, Checkpoint};

/// Options that matter only for raw PyTorch checkpoints, which carry no manifest.
#[derive(Clone, Debug, clap::Args)]
pub struct CheckpointOptions {
    /// Architecture of a `.pth` file (default: from its file name, e.g. efficientnet-lite0-….pth).
    #[arg(long)]
    pub arch: Option<Arch>,
    /// The `.pth` was trained with AdvProp: normalise inputs to [-1, 1] instead of ImageNet statistics.
    #[arg(long)]
    pub advprop: bool,
}

/// Loads `spec` for inference: a bundle directory (or its `model.json`), a training checkpoint
/// (`.ckpt`), a lukemelas `.pth`, or `lite0`/`lite1`/`lite2` for the cached ImageNet weights.
pub fn load_classifier(spec: &str, options: &CheckpointOptions, device: &Device) -> Result<Classifier> {
    if let Some(arch) = cached_arch(spec) {
        let path = effilens::pretrained::imagenet_checkpoint(arch).map_err(anyhow::Error::msg)?;
        return classifier_from_pth(&path, arch, options, device);
    }
    let path = Path::new(spec);
    if !path.exists() {
        bail!("{spec}: no such file or directory");
    }
    if path.extension().is_some_and(|ext| ext == checkpoint::EXTENSION) {
        return classifier_from_checkpoint(path, device);
    }
    if let Some(dir) = bundle_dir(path) {
        let (manifest, weights) = read_bundle(&dir)?;
        return Classifier::load(manifest, &weights, device.clone())
            .with_context(|| format!("cannot load bundle {}", dir.display()));
    }
    let arch = match options.arch {
        Some(arch) => arch,
        None => arch_from_file_name(path).with_context(|| {
            format!("cannot tell the architecture of {spec} from its name: pass --arch")
        })?,
    };
    classifier_from_pth(path, arch, options, device)
}

/// A training checkpoint's network on `device`, with the manifest an export would write.
pub fn checkpoint_model(path: &Path, device: &Device) -> Result<(Checkpoint, effilens::EfficientNet)> {
    let checkpoint = Checkpoint::read(path)?;
    let state = &checkpoint.state;
    let config = EfficientNetConfig::from_arch(state.arch).with_num_classes(state.classes.len());
    let model = decode_weights(config.init(device), &checkpoint.model)
        .map_err(|reason| anyhow::anyhow!("{}: weights do not fit: {reason}", path.display()))?;
    Ok((checkpoint, model))
}

fn classifier_from_checkpoint(path: &Path, device: &Device) -> Result<Classifier> {
    let (checkpoint, model) = checkpoint_model(path, device)?;
    let weights = WeightsFile { file: String::new(), dtype: WeightsDtype::F32, sha256: String::new(), bytes: 0 };
    let manifest = checkpoint.state.manifest(&checkpoint_name(path), weights);
    Ok(Classifier::from_model(manifest, model, device.clone()))
}

pub fn checkpoint_name(path: &Path) -> String {
    path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
}

fn cached_arch(spec: &str) -> Option<Arch> {
    format!("efficientnet-{spec}").parse().ok().filter(|arch: &Arch| arch.is_lite())
}

/// A directory holding `model.json`, or the `model.json` itself.
fn bundle_dir(path: &Path) -> Option<PathBuf> {
    if path.is_dir() {
        return Some(path.to_path_buf());
    }
    (path.file_name()? == bundle::MANIFEST_FILE).then(|| path.parent().unwrap_or(Path::new(".")).to_path_buf())
}

/// Reads a bundle's manifest and weights file (checked when loaded).
pub fn read_bundle(dir: &Path) -> Result<(Manifest, Vec<u8>)> {
    let manifest_path = dir.join(bundle::MANIFEST_FILE);
    let json = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest = Manifest::parse(&json).with_context(|| manifest_path.display().to_string())?;
    let weights_path = dir.join(&manifest.weights.file);
    let weights =
        std::fs::read(&weights_path).with_context(|| format!("cannot read {}", weights_path.display()))?;
    Ok((manifest, weights))
}

fn arch_from_file_name(path: &Path) -> Option<Arch> {
    let name = path.file_name()?.to_str()?;
    // Longest first, so that "efficientnet-b1" does not match inside a longer name by accident.
    Arch::all().filter(|arch| name.contains(arch.name())).max_by_key(|arch| arch.name().len())
}

pub fn default_normalization(arch: Arch, advprop: bool) -> Normalization {
    match (arch.is_lite(), advprop) {
        (true, _) => Normalization::Lite,
        (false, true) => Normalization::Advprop,
        (false, false) => Normalization::Imagenet,
    }
}

fn classifier_from_pth(path: &Path, arch: Arch, options: &CheckpointOptions, device: &Device) -> Result<Classifier> {
    let (manifest, model) = pth_model(path, arch, options, device)?;
    Ok(Classifier::from_model(manifest, model, device.clone()))
}

/// What `trainer export` publishes from `spec`: a training checkpoint's network, or ImageNet
/// weights (`lite0`/`lite1`/`lite2`, or a lukemelas `.pth`) with their own classifier, and the
/// manifest to publish it under; its `weights` entry is the caller's to fill in.
pub fn export_source(spec: &str, options: &CheckpointOptions, device: &Device) -> Result<(Manifest, effilens::EfficientNet)> {
    let path = Path::new(spec);
    let pth = match cached_arch(spec) {
        Some(arch) => Some((effilens::pretrained::imagenet_checkpoint(arch).map_err(anyhow::Error::msg)?, arch)),
        None if path.extension().is_some_and(|ext| ext == "pth") => {
            let arch = options.arch.or_else(|| arch_from_file_name(path)).with_context(|| format!("cannot tell the architecture of {spec} from its name: pass --arch"))?;
            Some((path.to_path_buf(), arch))
        }
        None => None,
    };
    if let Some((path, arch)) = pth {
        let (mut manifest, model) = pth_model(&path, arch, options, device)?;
        manifest.source_weights = imagenet_source(arch, &path);
        return Ok((manifest, model));
    }
    let (checkpoint, model) = checkpoint_model(path, device)?;
    let unset = WeightsFile { file: String::new(), dtype: WeightsDtype::F32, sha256: String::new(), bytes: 0 };
    Ok((checkpoint.state.manifest(&checkpoint_name(path), unset), model))
}

/// Where ImageNet weights came from, as a bundle says it: the file's name, not where it lies on
/// this machine (a published manifest should not carry a local path).
pub fn imagenet_source(arch: Arch, pth: &Path) -> String {
    format!("{arch} ImageNet weights ({})", pth.file_name().map(|name| name.to_string_lossy()).unwrap_or_default())
}

/// A `.pth`'s network, its classifier included, and a manifest for it.
fn pth_model(path: &Path, arch: Arch, options: &CheckpointOptions, device: &Device) -> Result<(Manifest, effilens::EfficientNet)> {
    let classes = classifier_classes(path)?;
    let config = EfficientNetConfig::from_arch(arch).with_num_classes(classes);
    let model = load_pytorch(config.init(device), path, true)?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        name: checkpoint_name(path),
        arch,
        classes: if classes == 1000 {
            imagenet::class_names()
        } else {
            (0..classes).map(|index| format!("class {index}")).collect()
        },
        image_size: config.image_size,
        normalization: default_normalization(arch, options.advprop),
        weights: WeightsFile {
            file: path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
            dtype: WeightsDtype::F32,
            sha256: String::new(),
            bytes: std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0),
        },
        source_weights: imagenet_source(arch, path),
        training: serde_json::Value::Null,
        metrics: serde_json::Value::Null,
        evaluations: serde_json::Value::Null,
    };
    Ok((manifest, model))
}
