//! The settings of a Teach in the page, with the trainer's defaults: the page shows these, and a
//! bundle's manifest records them under `training.settings`, in the trainer's names.

use serde::{Deserialize, Serialize};

use super::schedule::Schedule;

/// What Teach trains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The classifier on a frozen backbone, on features computed once (`--freeze-backbone
    /// --no-augment`): seconds for a few hundred images, and the page's default.
    #[default]
    Head,
    /// Every layer, on images kept at the input size (`trainer train`, augmented unless
    /// `no_augment`): tens of times slower, for data the backbone's features do not separate.
    Network,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recipe {
    pub part: Part,
    /// Training the whole network: without the trainer's augmentations.
    pub no_augment: bool,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    pub schedule: Schedule,
    pub warmup_epochs: usize,
    pub label_smoothing: f32,
    pub balanced_loss: bool,
    pub seed: u64,
    /// Share of each class held out for validation.
    pub val_fraction: f64,
}

impl Default for Recipe {
    /// `trainer train`'s defaults, but for what it trains: the head, the fast path.
    fn default() -> Self {
        Self {
            part: Part::Head,
            no_augment: false,
            epochs: 10,
            batch_size: 16,
            lr: 0.01,
            momentum: 0.9,
            weight_decay: 1e-4,
            schedule: Schedule::Cosine,
            warmup_epochs: 1,
            label_smoothing: 0.1,
            balanced_loss: false,
            seed: 0,
            val_fraction: 0.2,
        }
    }
}

impl Recipe {
    /// Parses the page's JSON (missing fields take their defaults) and checks each value as
    /// `trainer train` does, in one-line messages.
    pub fn parse(json: &str) -> Result<Self, String> {
        let recipe: Recipe = serde_json::from_str(json).map_err(|error| format!("invalid training settings: {error}"))?;
        recipe.check()?;
        Ok(recipe)
    }

    pub fn check(&self) -> Result<(), String> {
        if self.epochs == 0 || self.epochs > 1000 {
            return Err(format!("epochs must be between 1 and 1000, not {}", self.epochs));
        }
        if self.batch_size == 0 {
            return Err("the batch size must be at least 1".into());
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(format!("the learning rate must be a positive number, not {}", self.lr));
        }
        if !(0.0..1.0).contains(&self.momentum) || !(0.0..).contains(&self.weight_decay) {
            return Err("momentum must be in [0, 1) and weight decay at least 0".into());
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(format!("label smoothing must be at least 0 and less than 1, not {}", self.label_smoothing));
        }
        if !(self.val_fraction > 0.0 && self.val_fraction < 1.0) {
            return Err(format!("the validation share must be between 0 and 1, not {}", self.val_fraction));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        assert_eq!(Recipe::parse("{}"), Ok(Recipe::default()));
        let cases = [
            (r#"{"epochs": 0}"#, "epochs"),
            (r#"{"batch_size": 0}"#, "batch size"),
            (r#"{"lr": 0}"#, "learning rate"),
            (r#"{"momentum": 1}"#, "momentum"),
            (r#"{"weight_decay": -0.0001}"#, "weight decay"),
            (r#"{"label_smoothing": 1}"#, "label smoothing"),
            (r#"{"val_fraction": 0}"#, "validation share"),
        ];
        for (json, name) in cases {
            let error = Recipe::parse(json).expect_err(json);
            assert!(error.contains(name), "{json}: {error}");
        }
        // JSON has no NaN, but a session can be started with any recipe (`TeachSession::new`).
        for weight_decay in [f64::NAN, -f64::INFINITY] {
            assert!(Recipe { weight_decay, ..Recipe::default() }.check().is_err(), "{weight_decay}");
        }
    }
}
