//! Import of lukemelas-format PyTorch checkpoints (`efficientnet_pytorch` and its Lite fork),
//! in both the zip and the legacy `.pth` serialisation. Reading files is native-only; the key
//! remapping also serves tensors built in memory, in the browser too.

#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{KeyRemapper, PyTorchToBurnAdapter};
#[cfg(not(target_arch = "wasm32"))]
use burn::store::{ModuleStore, PytorchStore};

use super::EfficientNet;
use super::tensor_load::apply_checked;

/// How lukemelas' module names become this crate's. Block-level renames come first: the
/// remapper applies every rule in turn, and the top-level `_bn0`/`_bn1` rules are anchored so
/// they never touch an already renamed block key.
const KEY_REMAPPING: [(&str, &str); 14] = [
    // Inside each MBConv block:
    (r"^_blocks\.(\d+)\._expand_conv\.(.+)$", "blocks.$1.expand.conv.$2"), // 1×1 expansion conv
    (r"^_blocks\.(\d+)\._bn0\.(.+)$", "blocks.$1.expand.norm.$2"), // its batch norm
    (r"^_blocks\.(\d+)\._depthwise_conv\.(.+)$", "blocks.$1.depthwise.conv.$2"), // depthwise conv
    (r"^_blocks\.(\d+)\._bn1\.(.+)$", "blocks.$1.depthwise.norm.$2"), // its batch norm
    (r"^_blocks\.(\d+)\._se_reduce\.(.+)$", "blocks.$1.squeeze_excitation.reduce.$2"), // SE squeeze
    (r"^_blocks\.(\d+)\._se_expand\.(.+)$", "blocks.$1.squeeze_excitation.expand.$2"), // SE excite
    (r"^_blocks\.(\d+)\._project_conv\.(.+)$", "blocks.$1.project.conv.$2"), // 1×1 projection conv
    (r"^_blocks\.(\d+)\._bn2\.(.+)$", "blocks.$1.project.norm.$2"), // its batch norm
    // Around the blocks:
    (r"^_conv_stem\.(.+)$", "stem.conv.$1"), // 3×3 stride-2 stem conv
    (r"^_bn0\.(.+)$", "stem.norm.$1"),       // stem batch norm
    (r"^_conv_head\.(.+)$", "head.conv.$1"), // 1×1 head conv
    (r"^_bn1\.(.+)$", "head.norm.$1"),       // head batch norm
    (r"^_fc\.(.+)$", "classifier.$1"),       // final linear layer (transposed by the adapter)
    // PyTorch counts BatchNorm updates; burn has no such state (prefix = tensor_load::IGNORED).
    (r"^(.+)\.num_batches_tracked$", "ignored.$1.num_batches_tracked"),
];

/// Why a checkpoint could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("cannot read checkpoint {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("checkpoint {path} does not fit this model: {reason}")]
    Mismatch { path: String, reason: String },
}

/// Loads a lukemelas-format checkpoint into `model`.
#[cfg(not(target_arch = "wasm32"))]
///
/// With `load_classifier == false` the classifier keeps its fresh weights (the seed's
/// `load_fc=False`), which is how fine-tuning on other classes starts.
pub fn load_pytorch(
    model: EfficientNet,
    path: &Path,
    load_classifier: bool,
) -> Result<EfficientNet, WeightsError> {
    let shown = path.display().to_string();
    if !path.is_file() {
        return Err(WeightsError::Unreadable { path: shown, reason: "no such file".into() });
    }
    let mut store = PytorchStore::from_file(path).map_indices_contiguous(false);
    for (from, to) in KEY_REMAPPING {
        store = store.with_key_remapping(from, to);
    }
    let tensors: Vec<PackTensor> = store
        .get_all_tensors()
        .map_err(|error| WeightsError::Unreadable { path: shown.clone(), reason: one_line(&error) })?
        .values()
        .cloned()
        .collect();
    apply_checked(model, tensors, Box::new(PyTorchToBurnAdapter), load_classifier)
        .map_err(|reason| WeightsError::Mismatch { path: shown, reason })
}

/// Number of classes of a lukemelas checkpoint's classifier, read from `_fc.bias`.
#[cfg(not(target_arch = "wasm32"))]
pub fn classifier_classes(path: &Path) -> Result<usize, WeightsError> {
    let shown = path.display().to_string();
    let mut store = PytorchStore::from_file(path);
    let bias = store
        .get_tensor("_fc.bias")
        .map_err(|error| WeightsError::Unreadable { path: shown.clone(), reason: one_line(&error) })?
        .ok_or_else(|| WeightsError::Mismatch {
            path: shown.clone(),
            reason: "it has no '_fc.bias': not a lukemelas EfficientNet checkpoint".into(),
        })?;
    Ok(bias.shape.iter().product())
}

/// Applies tensors named by lukemelas keys, checking that every parameter is covered exactly.
pub fn load_lukemelas_tensors(
    model: EfficientNet,
    tensors: Vec<PackTensor>,
    load_classifier: bool,
) -> Result<EfficientNet, String> {
    apply_checked(model, remap(tensors), Box::new(PyTorchToBurnAdapter), load_classifier)
}

fn remap(tensors: Vec<PackTensor>) -> Vec<PackTensor> {
    let remapper = KeyRemapper::from_patterns(KEY_REMAPPING.to_vec()).expect("the remapping table is valid");
    remapper.remap(tensors).0
}

#[cfg(not(target_arch = "wasm32"))]
fn one_line(error: &impl std::fmt::Display) -> String {
    error.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}
