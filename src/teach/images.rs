//! Labeled images kept decoded at the network's input size, for training the whole network: each
//! epoch augments them afresh (224² RGB is 150 KB an image, 320² 300 KB). The trainer keeps its
//! folder the same way; both make batches and validate through the functions here.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor};
use image::RgbImage;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::augment::augment;
use super::plan::StepPlan;
use super::step::class_tensor;
use crate::EfficientNet;
use crate::Preprocessor;

#[derive(Default)]
pub struct LabeledImages {
    /// Resized to the network's input size.
    pub images: Vec<RgbImage>,
    pub classes: Vec<usize>,
}

impl LabeledImages {
    pub fn push(&mut self, image: RgbImage, class: usize) {
        self.images.push(image);
        self.classes.push(class);
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}

/// The inputs of `members` of `images` and their classes, on `device`: augmented with each
/// image's seed for `epoch` of `plan`, or as they are when `augmented` is `None`.
///
/// # Shapes
/// - inputs: `[members.len(), 3, image_size, image_size]`
/// - classes: `[members.len()]`
pub fn image_batch(
    preprocessor: &Preprocessor,
    images: &[RgbImage],
    classes: &[usize],
    members: &[usize],
    augmented: Option<(&StepPlan, usize)>,
    device: &Device,
) -> (Tensor<4>, Tensor<1, Int>) {
    let inputs = crate::parallel::map(members, |&index| match augmented {
        Some((plan, epoch)) => preprocessor.normalize(&augment(&images[index], &mut StdRng::seed_from_u64(plan.image_seed(epoch, index)))),
        None => preprocessor.normalize(&images[index]),
    });
    (preprocessor.batch(&inputs, device), class_tensor(members.iter().map(|&index| classes[index]), device))
}

/// The mean (unsmoothed) cross-entropy of `model` in inference mode on labeled images, and its
/// logits, `batch_size` images at a time: the validation after each epoch, in the trainer and
/// the page.
pub fn validate_images(model: &EfficientNet, preprocessor: &Preprocessor, images: &[RgbImage], classes: &[usize], batch_size: usize) -> (f64, Tensor<2>) {
    let device = model.devices().first().cloned().expect("a network lives on a device");
    let loss = CrossEntropyLossConfig::new().init(&device);
    let indices: Vec<usize> = (0..images.len()).collect();
    let (mut loss_sum, mut logits) = (0.0, Vec::new());
    for members in indices.chunks(batch_size.max(1)) {
        let (inputs, targets) = image_batch(preprocessor, images, classes, members, None, &device);
        let batch_logits = model.forward(inputs);
        loss_sum += f64::from(loss.forward(batch_logits.clone(), targets).into_scalar::<f32>()) * members.len() as f64;
        logits.push(batch_logits);
    }
    let logits = if logits.is_empty() { Tensor::zeros([0, model.num_classes()], &device) } else { Tensor::cat(logits, 0) };
    (loss_sum / images.len().max(1) as f64, logits)
}
