//! A loaded model bundle that turns encoded images into class probabilities: the one inference
//! path behind `trainer predict`, `trainer eval` and the browser.

use burn::backend::DispatchDevice;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use image::RgbaImage;

use crate::bundle::{BundleError, Manifest};
use crate::class_map::ClassMap;
use crate::model::EfficientNet;
use crate::parallel;
use crate::preprocess::{ImageError, Preprocessor};

/// The backend failed while running the network (a lost GPU device, say).
#[derive(Debug, thiserror::Error)]
#[error("inference failed: {0}")]
pub struct InferenceError(pub(crate) String);

pub struct Classifier {
    manifest: Manifest,
    model: EfficientNet,
    preprocessor: Preprocessor,
    device: Device,
}

impl Classifier {
    /// Validates `weights` against `manifest` and loads them onto `device`.
    pub fn load(manifest: Manifest, weights: &[u8], device: Device) -> Result<Self, BundleError> {
        let model = manifest.load_model(weights, &device)?;
        Ok(Self::from_model(manifest, model, device))
    }

    /// Wraps a network already in memory (a training checkpoint, say). Its batch norms are
    /// folded into the convolutions: this network only ever runs inference.
    pub fn from_model(manifest: Manifest, model: EfficientNet, device: Device) -> Self {
        let preprocessor = manifest.preprocessor();
        Self { manifest, model: model.fold_batch_norms(), preprocessor, device }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn classes(&self) -> &[String] {
        &self.manifest.classes
    }

    pub fn preprocessor(&self) -> &Preprocessor {
        &self.preprocessor
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Class probabilities for each image, or why it could not be read. One undecodable image
    /// does not spoil the rest of the batch.
    pub async fn classify_batch(
        &self,
        images: &[&[u8]],
    ) -> Result<Vec<Result<Vec<f32>, ImageError>>, InferenceError> {
        self.each_image(images, Output::Probabilities).await
    }

    /// The pooled features the classifier reads (see [`EfficientNet::features`]) for each image,
    /// or why it could not be read: what a head is taught on.
    pub async fn features_batch(&self, images: &[&[u8]]) -> Result<Vec<Result<Vec<f32>, ImageError>>, InferenceError> {
        self.each_image(images, Output::Features).await
    }

    async fn each_image(&self, images: &[&[u8]], output: Output) -> Result<Vec<Result<Vec<f32>, ImageError>>, InferenceError> {
        // Decoding is a fair share of the time per image: every core takes some.
        let prepared: Vec<Result<Vec<f32>, ImageError>> = parallel::map(images, |bytes| self.preprocessor.prepare(bytes));
        let inputs: Vec<Vec<f32>> = prepared.iter().filter_map(|input| input.as_ref().ok().cloned()).collect();
        let mut rows = self.run(&inputs, output).await?.into_iter();
        Ok(prepared.into_iter().map(|input| input.map(|_| rows.next().expect("one row per decoded image"))).collect())
    }

    /// Runs the network on prepared inputs (see [`Preprocessor::prepare`]).
    pub async fn probabilities(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, InferenceError> {
        self.run(inputs, Output::Probabilities).await
    }

    async fn run(&self, inputs: &[Vec<f32>], output: Output) -> Result<Vec<Vec<f32>>, InferenceError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let result = forward_batch(inputs, &self.preprocessor, &self.device, |batch| match output {
            Output::Probabilities => softmax(self.model.forward(batch), 1),
            Output::Features => self.model.features(batch),
        });
        let width = result.dims()[1];
        // WebGPU can only read back asynchronously, so every backend does.
        let data = result.into_data_async().await.map_err(|error| InferenceError(format!("{error:?}")))?;
        let values: Vec<f32> = data.try_to_vec().map_err(|error| InferenceError(format!("{error:?}")))?;
        Ok(values.chunks(width).map(<[f32]>::to_vec).collect())
    }
}

/// `forward` of prepared inputs (see [`Preprocessor::prepare`]), their rows in order. On the CPU a
/// batch goes through as whole passes side by side, one image per core, as many as fill the
/// cores, and the rest as one pass shared out (docs/PERFORMANCE.md, 30.); elsewhere as one batch.
pub fn forward_batch(
    inputs: &[Vec<f32>],
    preprocessor: &Preprocessor,
    device: &Device,
    forward: impl Fn(Tensor<4>) -> Tensor<2> + Send + Sync,
) -> Tensor<2> {
    let threads = parallel::threads();
    let per_core = if threads > 1 && matches!(device.as_dispatch(), DispatchDevice::Flex(_)) {
        inputs.len() - inputs.len() % threads
    } else {
        0
    };
    let forward = |inputs: &[Vec<f32>]| forward(preprocessor.batch(inputs, device));
    parallel::in_pool(|| {
        let (alone, shared) = inputs.split_at(per_core);
        let mut parts = parallel::map_one_per_core(alone, |input| forward(std::slice::from_ref(input)));
        if !shared.is_empty() {
            parts.push(forward(shared));
        }
        Tensor::cat(parts, 0)
    })
}

/// One image classified, with where the network saw a class (see [`Classifier::locate`]).
pub struct Located {
    pub probabilities: Vec<f32>,
    pub map: ClassMap,
    /// The map over the image, scaled to fit [`crate::class_map::OVERLAY_SIDE`].
    pub overlay: RgbaImage,
    /// The decoded image's width and height.
    pub image_size: (u32, u32),
}

impl Classifier {
    /// Class probabilities of one image and the class activation map of `class` (the most
    /// probable one where `None`), drawn over the image: the page's "where" and `trainer predict
    /// --cam`. Err inside: the image cannot be read; outside: the backend failed.
    pub async fn locate(&self, bytes: &[u8], class: Option<usize>) -> Result<Result<Located, ImageError>, InferenceError> {
        let image = match self.preprocessor.decode(bytes) {
            Ok(image) => image,
            Err(error) => return Ok(Err(error)),
        };
        let input = self.preprocessor.normalize(&self.preprocessor.resize(&image));
        let batch = self.preprocessor.batch(&[input], &self.device);
        let (feature_map, probabilities) = parallel::in_pool(|| {
            let feature_map = self.model.feature_map(batch);
            let [_, channels, _, _] = feature_map.dims();
            let pooled = feature_map.clone().mean_dim(3).mean_dim(2).reshape([1, channels]);
            (feature_map, softmax(self.model.classify_features(pooled), 1))
        });
        let [_, channels, height, width] = feature_map.dims();
        let read = |tensor: Tensor<2>| async move {
            let data = tensor.into_data_async().await.map_err(|error| InferenceError(format!("{error:?}")))?;
            data.try_to_vec::<f32>().map_err(|error| InferenceError(format!("{error:?}")))
        };
        let probabilities = read(probabilities).await?;
        let features = read(feature_map.reshape([channels, height * width])).await?;
        let weights = read(self.model.classifier.weight.val()).await?;
        let classes = self.classes().len();
        let class = class.filter(|&class| class < classes).unwrap_or_else(|| {
            probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(index, _)| index)
        });
        let map = ClassMap::from_features(&features, channels, height, width, &weights, classes, class);
        let overlay = map.overlay(&image);
        Ok(Ok(Located { probabilities, map, overlay, image_size: image.dimensions() }))
    }
}

#[derive(Clone, Copy)]
enum Output {
    Probabilities,
    Features,
}
