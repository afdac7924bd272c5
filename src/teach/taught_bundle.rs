//! The bundle a network taught in the page becomes: `model.json` and burnpack weights, exactly
//! what `trainer export` writes, with the training settings and the validation figures of the
//! epoch it keeps (in the trainer's keys, see [`ValidationMetrics`]).

use effilens_evaluation::Confusion;
use serde_json::json;

use super::recipe::{Part, Recipe};
use super::training::Training;
use crate::bundle::{BundleError, FORMAT_VERSION, Manifest, WEIGHTS_FILE, WeightsDtype, WeightsFile, encode_weights, sha256_hex};

/// A manifest's `metrics`: the validation figures of the epoch a bundle keeps.
pub struct ValidationMetrics {
    pub epoch: usize,
    pub accuracy: f64,
    pub macro_f1: Option<f64>,
    pub val_loss: f64,
    pub precision: Vec<Option<f64>>,
    pub recall: Vec<Option<f64>>,
    pub f1: Vec<Option<f64>>,
}

impl ValidationMetrics {
    pub fn from_confusion(epoch: usize, confusion: &Confusion, val_loss: f64) -> Self {
        let per_class = confusion.per_class();
        Self {
            epoch,
            accuracy: confusion.accuracy().unwrap_or(0.0),
            macro_f1: confusion.macro_figures().f1,
            val_loss,
            precision: per_class.iter().map(|figures| figures.precision).collect(),
            recall: per_class.iter().map(|figures| figures.recall).collect(),
            f1: per_class.iter().map(|figures| figures.f1).collect(),
        }
    }

    pub fn to_json(&self, classes: &[String]) -> serde_json::Value {
        let per_class: serde_json::Map<String, serde_json::Value> = classes
            .iter()
            .enumerate()
            .map(|(c, class)| {
                let f1 = self.f1.get(c).copied().flatten();
                (class.clone(), json!({ "precision": self.precision[c], "recall": self.recall[c], "f1": f1 }))
            })
            .collect();
        json!({
            "split": "validation",
            "epoch": self.epoch,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "val_loss": self.val_loss,
            "per_class": per_class,
        })
    }
}

/// The manifest and weights of the best epoch of `training`, started from the bundle `base`;
/// `None` before the first epoch.
pub fn taught_bundle(
    training: &Training,
    base: &Manifest,
    classes: &[String],
    recipe: &Recipe,
    name: &str,
) -> Result<Option<(Manifest, Vec<u8>)>, BundleError> {
    let Some((model, confusion, val_loss)) = training.best() else { return Ok(None) };
    let best_epoch = training.history().iter().rev().find(|epoch| epoch.best).map_or(0, |epoch| epoch.epoch);
    let weights = encode_weights(model, WeightsDtype::F32)?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        name: name.to_owned(),
        arch: base.arch,
        classes: classes.to_vec(),
        image_size: base.image_size,
        normalization: base.normalization,
        weights: WeightsFile {
            file: WEIGHTS_FILE.into(),
            dtype: WeightsDtype::F32,
            sha256: sha256_hex(&weights),
            bytes: weights.len() as u64,
        },
        source_weights: match recipe.part {
            Part::Head => format!("the backbone of '{}' ({})", base.name, base.source_weights),
            Part::Network => format!("'{}' ({}), fine-tuned", base.name, base.source_weights),
        },
        training: json!({
            "taught_in": "page",
            "epochs": training.epochs_done(),
            "settings": {
                "freeze_backbone": recipe.part == Part::Head,
                "no_augment": recipe.part == Part::Head || recipe.no_augment,
                "training_images": training.train_len(),
                "validation_images": training.val_len(),
                "recipe": recipe,
            },
            "history": training.history(),
        }),
        metrics: ValidationMetrics::from_confusion(best_epoch, confusion, *val_loss).to_json(classes),
        evaluations: serde_json::Value::Null,
    };
    Ok(Some((manifest, weights)))
}
