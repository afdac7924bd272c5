//! A loaded model bundle that turns encoded images into class probabilities: the one inference
//! path behind `trainer predict`, `trainer eval` and the browser.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use crate::bundle::{BundleError, Manifest};
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
        let batch = self.preprocessor.batch(inputs, &self.device);
        let result: Tensor<2> = parallel::in_pool(|| match output {
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

#[derive(Clone, Copy)]
enum Output {
    Probabilities,
    Features,
}
