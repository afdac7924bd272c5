//! Teaching: training a classifier on the user's labeled images. What the trainer and the page
//! share, so that both take the same steps from the same images and settings:
//!
//! - `schedule`: the learning rate as a function of the step.
//! - `plan`: each step's images, learning rate and seeds.
//! - `split`: the seeded stratified validation share.
//! - `step`: the optimizer, the loss and one step, on images or on features.
//! - `augment`: the trainer's augmentations, which keep the whole poster in frame.
//! - `features`: pooled features of labeled images, for a frozen backbone.
//! - `images`: labeled images at the input size, their batches and their validation.
//! - `recipe`: the page's settings, with the trainer's defaults.
//! - `training`: the head or the whole network trained step by step (the page).
//! - `taught_bundle`: what the page's training publishes.
//! - `session`: the page's Teach from the first image to the bundle (its wasm facade is thin).

mod augment;
mod features;
mod images;
mod plan;
mod recipe;
mod schedule;
mod session;
mod split;
mod step;
mod taught_bundle;
mod training;

use burn::tensor::Device;

pub use augment::augment;
pub use features::Features;
pub use images::{LabeledImages, image_batch, validate_images};
pub use plan::{StepPlan, derive_seed};
pub use recipe::{Part, Recipe};
pub use schedule::Schedule;
pub use session::{Example, TeachSession, check_classes};
pub use split::validation_share;
pub use step::{class_tensor, class_weights, feature_step, sgd, training_loss, training_step};
pub use taught_bundle::{ValidationMetrics, taught_bundle};
pub use training::{Examples, TeachEpoch, Training, Stepped, predicted, validate_head};

use crate::EfficientNet;

/// The network a run starts from, given a backbone and the classes its classifier knows: the
/// classifier is kept where the classes are the same, in the same order (a run continued from a
/// bundle), and drawn afresh from `seed` otherwise.
pub fn with_classifier_for(model: EfficientNet, known: &[String], classes: &[String], seed: u64, device: &Device) -> EfficientNet {
    if known == classes {
        return model;
    }
    device.seed(seed);
    let model = model.with_classes(classes.len(), device);
    // burn draws a parameter's initial values when it is first read: read them now, so that they
    // come from `seed` whatever draws from the device's generator next.
    let _ = model.classifier.weight.val();
    if let Some(bias) = &model.classifier.bias {
        let _ = bias.val();
    }
    model
}
