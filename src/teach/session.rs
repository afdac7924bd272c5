//! A Teach session, as the page runs it: a starting bundle, the user's classes and settings; the
//! images go in batch by batch and leave only their features (the head) or themselves at the
//! input size (the whole network); then training step by step, and the best epoch published as a
//! bundle. Native code runs the same session in tests, so that the page's result can be compared
//! with `trainer train` (`--freeze-backbone --no-augment` for the head).

use burn::tensor::Device;

use super::features::Features;
use super::images::LabeledImages;
use super::recipe::{Part, Recipe};
use super::training::{Examples, TeachEpoch, Training, Stepped};
use super::split::validation_share;
use super::taught_bundle::taught_bundle;
use super::with_classifier_for;
use crate::bundle::Manifest;
use crate::classifier::{Classifier, InferenceError};
use crate::preprocess::ImageError;

/// One image's contribution to training, before it is labeled.
pub enum Example {
    Features(Vec<f32>),
    Image(image::RgbImage),
}

pub struct TeachSession {
    base: Manifest,
    /// The base network as the bundle holds it, on the training device, its classifier fitted to
    /// `classes` (and its backbone frozen to train the head): what trains and the bundle is
    /// written from.
    start: crate::EfficientNet,
    /// The base network for inference, which computes the head's features until training starts.
    /// The whole network trains on images that only need decoding: it has none.
    extractor: Option<Classifier>,
    classes: Vec<String>,
    recipe: Recipe,
    /// The images added so far, until training takes them.
    examples: Option<Examples>,
    training: Option<Training>,
}

impl TeachSession {
    /// Starts from the bundle `base` (its weights checked) to learn `classes`, computing features
    /// on `device` and training on the CPU.
    pub fn new(base: Manifest, weights: &[u8], classes: Vec<String>, recipe: Recipe, device: Device) -> Result<Self, String> {
        recipe.check()?;
        check_classes(&classes)?;
        let training_device = Device::flex().autodiff();
        let start = base.load_model(weights, &training_device).map_err(|error| error.to_string())?;
        let start = with_classifier_for(start, &base.classes, &classes, recipe.seed, &training_device);
        let width = start.classifier.weight.dims()[0];
        let (start, extractor, examples) = match recipe.part {
            Part::Head => {
                let extractor = Classifier::load(base.clone(), weights, device).map_err(|error| error.to_string())?;
                (start.freeze_backbone(), Some(extractor), Examples::Features { train: Features::new(width), val: Features::new(width) })
            }
            Part::Network => {
                let (train, val) = (LabeledImages::default(), LabeledImages::default());
                (start, None, Examples::Images { train, val, preprocessor: base.preprocessor(), augment: !recipe.no_augment })
            }
        };
        Ok(Self { base, start, extractor, classes, recipe, examples: Some(examples), training: None })
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
    /// out), or the images at the input size, in the byte order of their paths. Returns, per
    /// image, why it was skipped, if it was.
    pub async fn add_images(&mut self, images: &[(&[u8], usize, bool)]) -> Result<Vec<Option<String>>, InferenceError> {
        let bytes: Vec<&[u8]> = images.iter().map(|(bytes, _, _)| *bytes).collect();
        let rows = self.features(&bytes).await?;
        let labels: Vec<(usize, bool)> = images.iter().map(|&(_, class, held_out)| (class, held_out)).collect();
        Ok(self.keep(rows, &labels))
    }

    /// The first half of [`TeachSession::add_images`], which only reads the session: each
    /// image's features or, to train the whole network, the image at the input size.
    pub async fn features(&self, images: &[&[u8]]) -> Result<Vec<Result<Example, ImageError>>, InferenceError> {
        match &self.examples {
            None => Err(InferenceError("training has started: no more images can be added".into())),
            Some(Examples::Features { .. }) => {
                let extractor = self.extractor.as_ref().expect("a session that trains the head has its extractor until training starts");
                Ok(extractor.features_batch(images).await?.into_iter().map(|row| row.map(Example::Features)).collect())
            }
            Some(Examples::Images { preprocessor, .. }) => Ok(crate::parallel::map(images, |bytes| {
                preprocessor.decode(bytes).map(|image| Example::Image(preprocessor.resize(&image)))
            })),
        }
    }

    /// The second half: keeps each example with its (class, held out), or says why the image was
    /// skipped.
    pub fn keep(&mut self, rows: Vec<Result<Example, ImageError>>, labels: &[(usize, bool)]) -> Vec<Option<String>> {
        let count = self.classes.len();
        let Some(examples) = &mut self.examples else {
            return vec![Some("training has started: no more images can be added".into()); rows.len()];
        };
        rows.into_iter()
            .zip(labels)
            .map(|(row, &(class, held_out))| match (row, examples as &mut Examples) {
                (Ok(_), _) if class >= count => Some(format!("class {class} is not one of the {count} classes")),
                (Ok(Example::Features(row)), Examples::Features { train, val }) => {
                    (if held_out { val } else { train }).push(&row, class);
                    None
                }
                (Ok(Example::Image(image)), Examples::Images { train, val, .. }) => {
                    (if held_out { val } else { train }).push(image, class);
                    None
                }
                (Ok(_), _) => Some("an example of another kind than the session trains on".into()),
                (Err(reason), _) => Some(reason.to_string()),
            })
            .collect()
    }

    /// Images kept: (training, validation).
    pub fn counts(&self) -> (usize, usize) {
        match (&self.examples, &self.training) {
            (Some(Examples::Features { train, val }), _) => (train.len(), val.len()),
            (Some(Examples::Images { train, val, .. }), _) => (train.len(), val.len()),
            (None, Some(training)) => (training.train_len(), training.val_len()),
            (None, None) => (0, 0),
        }
    }

    /// Runs the next epoch (the first call checks the data); `None` once all have run.
    pub fn next_epoch(&mut self) -> Result<Option<TeachEpoch>, String> {
        self.training()?.next_epoch()
    }

    /// Runs the next batch, and the validation after an epoch's last (the first call checks the
    /// data); `None` once all have run.
    pub fn next_step(&mut self) -> Result<Option<Stepped>, String> {
        self.training()?.next_step()
    }

    fn training(&mut self) -> Result<&mut Training, String> {
        if let Some(examples) = self.examples.take() {
            let (train, val) = match &examples {
                Examples::Features { train, val } => (&train.classes, val.len()),
                Examples::Images { train, val, .. } => (&train.classes, val.len()),
            };
            let missing = (0..self.classes.len()).find(|index| !train.contains(index));
            let refusal = match missing {
                Some(index) => Some(format!("class '{}' has no readable training images", self.classes[index])),
                None if val == 0 => Some("no readable validation images: add more images to each class".to_owned()),
                None => None,
            };
            if let Some(refusal) = refusal {
                self.examples = Some(examples);
                return Err(refusal);
            }
            self.training = Some(Training::new(self.start.clone(), &self.recipe, examples));
            self.extractor = None;
        }
        self.training.as_mut().ok_or_else(|| "no images were added".to_owned())
    }

    /// Ends training after the epochs run so far; the best is kept.
    pub fn stop(&mut self) {
        if let Some(training) = &mut self.training {
            training.stop();
        }
    }

    /// The best epoch's probabilities for each validation image, in the order they were added.
    pub fn validation_probabilities(&self) -> Vec<Vec<f32>> {
        self.training.as_ref().map(Training::validation_probabilities).unwrap_or_default()
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
