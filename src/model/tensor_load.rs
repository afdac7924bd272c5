//! Applying named tensors to the network with one clear message for the first problem.

use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{ApplyError, ApplyResult, ModuleAdapter, ModuleSnapshot, PathFilter};

use super::EfficientNet;

/// Path prefix of the classifier, the only part whose shape depends on the number of classes.
pub const CLASSIFIER: &str = "classifier.";

/// Keys that renaming marked as carrying nothing the network needs.
pub const IGNORED: &str = "ignored.";

/// Applies `tensors` (already named by this crate's paths) to `model`; every parameter must be
/// covered and every tensor used, except the classifier when `load_classifier` is false.
pub fn apply_checked(
    mut model: EfficientNet,
    tensors: Vec<PackTensor>,
    adapter: Box<dyn ModuleAdapter>,
    load_classifier: bool,
) -> Result<EfficientNet, String> {
    let filter = if load_classifier {
        PathFilter::new().match_all()
    } else {
        PathFilter::new().with_predicate(|path, _| !path.starts_with(CLASSIFIER))
    };
    let result = model.apply(tensors, Some(filter), Some(adapter), false);
    first_problem(&result, load_classifier).map_or(Ok(model), Err)
}

fn first_problem(result: &ApplyResult, load_classifier: bool) -> Option<String> {
    if let Some(error) = result.errors.first() {
        return Some(match error {
            ApplyError::ShapeMismatch { path, expected, found } => format!(
                "'{path}' has shape {:?} in the weights but {:?} in the model",
                found.as_slice(),
                expected.as_slice()
            ),
            other => other.to_string(),
        });
    }
    let wanted = |path: &&str| load_classifier || !path.starts_with(CLASSIFIER);
    let missing: Vec<&str> = result.missing.iter().map(|(path, _)| path.as_str()).filter(wanted).collect();
    if let Some(first) = missing.first() {
        return Some(format!("'{first}' is missing from the weights ({} parameters missing)", missing.len()));
    }
    let unused: Vec<&str> =
        result.unused.iter().map(String::as_str).filter(|key| !key.starts_with(IGNORED)).filter(wanted).collect();
    unused.first().map(|first| format!("unexpected tensor '{first}' ({} the model has no place for)", unused.len()))
}
