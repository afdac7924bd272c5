//! A Teach session, as the page runs it: a starting bundle, the user's classes and settings; the
//! images go in batch by batch and leave only their features; then epochs of head training, and
//! the best epoch published as a bundle. Native code runs the same session in tests, so that
//! the page's result can be compared with `trainer train --freeze-backbone --no-augment`.

use burn::tensor::Device;

use super::features::Features;
use super::head::{HeadEpoch, HeadTraining};
use super::recipe::Recipe;
use super::split::validation_share;
use super::taught_bundle::taught_bundle;
use super::with_classifier_for;
use crate::bundle::Manifest;
use crate::classifier::{Classifier, InferenceError};
use crate::preprocess::ImageError;

pub struct TeachSession {
    base: Manifest,
    /// The base network as the bundle holds it, on the training device, its classifier fitted to
    /// `classes` and its backbone frozen: what the head trains in and the bundle is written from.
    start: crate::EfficientNet,
    /// The base network for inference, which computes the features.
    extractor: Classifier,
    classes: Vec<String>,
    recipe: Recipe,
    train: Features,
    val: Features,
    training: Option<HeadTraining>,
}

impl TeachSession {
    /// Starts from the bundle `base` (its weights checked) to learn `classes`, computing features
    /// on `device` and training on the CPU.
    pub fn new(base: Manifest, weights: &[u8], classes: Vec<String>, recipe: Recipe, device: Device) -> Result<Self, String> {
        recipe.check()?;
        check_classes(&classes)?;
        let training_device = Device::flex().autodiff();
        let start = base.load_model(weights, &training_device).map_err(|error| error.to_string())?;
        let start = with_classifier_for(start, &base.classes, &classes, recipe.seed, &training_device).freeze_backbone();
        let extractor = Classifier::load(base.clone(), weights, device).map_err(|error| error.to_string())?;
        let width = start.classifier.weight.dims()[0];
        Ok(Self { base, start, extractor, classes, recipe, train: Features::new(width), val: Features::new(width), training: None })
    }

    /// Which images (their classes, in the byte order of their paths) are held out for
    /// validation; refused where a class has no image.
    pub fn validation_share(&self, classes: &[usize]) -> Result<Vec<bool>, String> {
        for (index, class) in self.classes.iter().enumerate() {
            if !classes.contains(&index) {
                return Err(format!("class '{class}' has no images (a class is a folder of images)"));
            }
        }
        Ok(validation_share(classes, self.classes.len(), self.recipe.val_fraction, self.recipe.seed))
    }

    /// Computes and keeps the features of `images` (each with its class and whether it is held
    /// out), in the byte order of their paths. Returns, per image, why it was skipped, if it was.
    pub async fn add_images(&mut self, images: &[(&[u8], usize, bool)]) -> Result<Vec<Option<String>>, InferenceError> {
        let bytes: Vec<&[u8]> = images.iter().map(|(bytes, _, _)| *bytes).collect();
        let rows = self.features(&bytes).await?;
        let labels: Vec<(usize, bool)> = images.iter().map(|&(_, class, held_out)| (class, held_out)).collect();
        Ok(self.keep(rows, &labels))
    }

    /// The first half of [`TeachSession::add_images`], which only reads the session.
    pub async fn features(&self, images: &[&[u8]]) -> Result<Vec<Result<Vec<f32>, ImageError>>, InferenceError> {
        if self.training.is_some() {
            return Err(InferenceError("training has started: no more images can be added".into()));
        }
        self.extractor.features_batch(images).await
    }

    /// The second half: keeps each row with its (class, held out), or says why the image was
    /// skipped.
    pub fn keep(&mut self, rows: Vec<Result<Vec<f32>, ImageError>>, labels: &[(usize, bool)]) -> Vec<Option<String>> {
        rows.into_iter()
            .zip(labels)
            .map(|(row, &(class, held_out))| match row {
                Ok(_) if class >= self.classes.len() => Some(format!("class {class} is not one of the {} classes", self.classes.len())),
                Ok(row) => {
                    let set = if held_out { &mut self.val } else { &mut self.train };
                    set.push(&row, class);
                    None
                }
                Err(reason) => Some(reason.to_string()),
            })
            .collect()
    }

    /// Images with features: (training, validation).
    pub fn counts(&self) -> (usize, usize) {
        (self.train.len(), self.val.len())
    }

    /// Runs the next epoch (the first call checks the data); `None` once all have run.
    pub fn next_epoch(&mut self) -> Result<Option<HeadEpoch>, String> {
        if self.training.is_none() {
            for (index, class) in self.classes.iter().enumerate() {
                if !self.train.classes.contains(&index) {
                    return Err(format!("class '{class}' has no readable training images"));
                }
            }
            if self.val.is_empty() {
                return Err("no readable validation images: add more images to each class".into());
            }
            let (train, val) = (std::mem::take(&mut self.train), std::mem::take(&mut self.val));
            self.training = Some(HeadTraining::new(self.start.clone(), &self.recipe, train, val));
        }
        self.training.as_mut().expect("started above").next_epoch()
    }

    /// Ends training after the epochs run so far; the best is kept.
    pub fn stop(&mut self) {
        if let Some(training) = &mut self.training {
            training.stop();
        }
    }

    /// The best epoch's probabilities for each validation image, in the order they were added.
    pub fn validation_probabilities(&self) -> Vec<Vec<f32>> {
        self.training.as_ref().map(HeadTraining::validation_probabilities).unwrap_or_default()
    }

    /// The best epoch as a bundle: its manifest and weights.
    pub fn bundle(&self, name: &str) -> Result<(Manifest, Vec<u8>), String> {
        let training = self.training.as_ref().ok_or("nothing has been trained yet")?;
        taught_bundle(training, &self.base, &self.classes, &self.recipe, name)
            .map_err(|error| error.to_string())?
            .ok_or_else(|| "no epoch has finished yet".to_owned())
    }
}

/// Classes a taught bundle can hold: what any bundle may hold, each also a folder name (the
/// trainer reads classes from folder names).
pub fn check_classes(classes: &[String]) -> Result<(), String> {
    crate::bundle::check_class_list(classes)?;
    match classes.iter().find(|class| class.is_empty() || class.starts_with('.') || class.contains(['/', '\\', '\0'])) {
        Some(class) => Err(format!("'{class}' cannot be a class: a class is a folder name (not empty, no '/', not starting with '.')")),
        None => Ok(()),
    }
}
