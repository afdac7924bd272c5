//! The model bundle: what `trainer export` publishes and the page loads. A directory with a
//! `model.json` manifest and the burnpack weights it names and checksums.

use burn::store::burn_pack::{Bytes, DType, Tensor as PackTensor};
use burn::store::{BurnpackStore, FloatCastAdapter, HalfPrecisionAdapter, ModuleSnapshot, ModuleStore};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Arch, EfficientNet, EfficientNetConfig};
use crate::preprocess::{Normalization, Preprocessor};

/// The manifest layout this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest's file name inside a bundle directory.
pub const MANIFEST_FILE: &str = "model.json";

/// The weights' file name in the bundles effilens writes (`trainer export`, the page's Teach).
pub const WEIGHTS_FILE: &str = "weights.bpk";

/// The most classes a bundle may name: ImageNet has 1000; the page draws a row per class.
pub const MAX_CLASSES: usize = 10_000;

/// Input resolutions a bundle may have: what the trainer trains at and the page loads.
pub const IMAGE_SIZES: std::ops::RangeInclusive<usize> = 32..=1024;

/// `model.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub name: String,
    pub arch: Arch,
    /// Class names in output order.
    pub classes: Vec<String>,
    pub image_size: usize,
    pub normalization: Normalization,
    pub weights: WeightsFile,
    /// Where the backbone's weights came from before fine-tuning.
    #[serde(default)]
    pub source_weights: String,
    /// Free-form summary of how the model was trained.
    #[serde(default)]
    pub training: serde_json::Value,
    /// Validation metrics at export.
    #[serde(default)]
    pub metrics: serde_json::Value,
    /// Later evaluations by data folder name (`trainer eval --record`): what the model scores
    /// on sets it never chose anything on, such as the sample's source-disjoint `test`.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub evaluations: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsFile {
    /// A plain file name next to the manifest.
    pub file: String,
    pub dtype: WeightsDtype,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    pub bytes: u64,
}

/// Storage precision of the convolution and linear weights (batch norm always stays f32,
/// since its running variance underflows in f16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightsDtype {
    F32,
    F16,
}

/// Why a bundle cannot be used. Each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("invalid model.json: {0}")]
    Manifest(String),
    #[error("weights file is {actual} bytes, but model.json says {expected}")]
    Size { expected: u64, actual: u64 },
    #[error("weights checksum mismatch: model.json says {expected}, the file is {actual}")]
    Checksum { expected: String, actual: String },
    #[error("weights do not fit {arch} with {classes} classes: {reason}")]
    Weights { arch: Arch, classes: usize, reason: String },
    #[error("cannot write weights: {0}")]
    Encode(String),
}

impl Manifest {
    /// Parses and validates a manifest.
    pub fn parse(json: &str) -> Result<Self, BundleError> {
        let manifest: Manifest =
            serde_json::from_str(json).map_err(|error| BundleError::Manifest(error.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<(), BundleError> {
        let invalid = |why: String| Err(BundleError::Manifest(why));
        if self.format_version != FORMAT_VERSION {
            return invalid(format!(
                "format_version {} is not supported (this build reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        check_class_list(&self.classes).map_err(BundleError::Manifest)?;
        if !IMAGE_SIZES.contains(&self.image_size) {
            return invalid(format!("image_size {} is outside {}..={}", self.image_size, IMAGE_SIZES.start(), IMAGE_SIZES.end()));
        }
        let file = &self.weights.file;
        if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
            return invalid(format!("weights file '{file}' must be a plain file name next to model.json"));
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises")
    }

    pub fn model_config(&self) -> EfficientNetConfig {
        let mut config = EfficientNetConfig::from_arch(self.arch).with_num_classes(self.classes.len());
        config.image_size = self.image_size;
        config
    }

    pub fn preprocessor(&self) -> Preprocessor {
        Preprocessor::new(self.image_size, self.normalization)
    }

    /// Checks the weights against the manifest and builds the network from them.
    pub fn load_model(&self, weights: &[u8], device: &Device) -> Result<EfficientNet, BundleError> {
        // The size first: a wrong file is told from its length without hashing it.
        if weights.len() as u64 != self.weights.bytes {
            return Err(BundleError::Size { expected: self.weights.bytes, actual: weights.len() as u64 });
        }
        let actual = sha256_hex(weights);
        if actual != self.weights.sha256.to_ascii_lowercase() {
            return Err(BundleError::Checksum { expected: self.weights.sha256.clone(), actual });
        }
        let model = self.model_config().init(device);
        decode_weights(model, weights)
            .map_err(|reason| BundleError::Weights { arch: self.arch, classes: self.classes.len(), reason })
    }
}

/// The classes a bundle may have: at least two, at most [`MAX_CLASSES`], none twice.
pub fn check_class_list(classes: &[String]) -> Result<(), String> {
    if classes.len() < 2 {
        return Err(format!("a classifier needs at least 2 classes, found {}", classes.len()));
    }
    if classes.len() > MAX_CLASSES {
        return Err(format!("{} classes, more than the {MAX_CLASSES} a bundle may have", classes.len()));
    }
    let mut sorted = classes.to_vec();
    sorted.sort();
    if let Some(pair) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(format!("class '{}' appears twice", pair[0]));
    }
    Ok(())
}

/// Loads burnpack weights written by [`encode_weights`] into `model`, which must have the same
/// structure; f16 weights are widened back to f32.
pub fn decode_weights(model: EfficientNet, weights: &[u8]) -> Result<EfficientNet, String> {
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(weights.to_vec())));
    let tensors: Vec<PackTensor> = store
        .get_all_tensors()
        .map_err(|error| format!("not a burnpack file ({error})"))?
        .values()
        .cloned()
        .collect();
    // Every float tensor becomes f32 whatever it was stored as.
    crate::model::apply_checked(model, tensors, Box::new(FloatCastAdapter::to(DType::F32)), true)
}

/// Serialises the network's weights as burnpack, the convolutions and classifier in `dtype`.
pub fn encode_weights(model: &EfficientNet, dtype: WeightsDtype) -> Result<Vec<u8>, BundleError> {
    let store = BurnpackStore::from_bytes(None);
    let mut store = match dtype {
        WeightsDtype::F32 => store,
        WeightsDtype::F16 => store.with_to_adapter(HalfPrecisionAdapter::new()),
    };
    model.save_into(&mut store).map_err(|error| BundleError::Encode(error.to_string()))?;
    let bytes = store.get_bytes().map_err(|error| BundleError::Encode(error.to_string()))?;
    Ok(bytes.to_vec())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}
