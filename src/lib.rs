//! effilens: EfficientNet image classification with burn, the same model natively and in the
//! browser.
//!
//! - [`model`]: the EfficientNet family as configurations, and PyTorch weight import.
//! - `activation`: the activation functions, shared by the model and the kernels (public as
//!   [`model::Activation`]).
//! - [`preprocess`]: image bytes → model input, shared by the trainer and the browser.
//! - [`backend`]: the browser's choice between WebGPU and the CPU.
//! - [`bundle`]: the published model (manifest + weights).
//! - [`classifier`]: a loaded bundle that turns images into class probabilities.
//! - [`class_map`]: where in an image the network saw a class, drawn over it.
//! - [`teach`]: training on labeled images, shared by `trainer train` and the page's Teach.
//! - `reduced_jpeg`: large JPEGs decoded at a fraction of their size, for [`preprocess`].
//! - `kernels`: fused convolution + bias + activation for inference on the CPU.
//! - `parallel`: work shared across cores where there are threads.
//! - `pretrained` (native only): where the ImageNet checkpoints live.
//! - `web` (wasm32 only): the `wasm_bindgen` facade the page's worker calls.

mod activation;
pub mod backend;
pub mod bundle;
pub mod class_map;
pub mod classifier;
mod kernels;
pub mod model;
mod parallel;
pub mod preprocess;
mod reduced_jpeg;
pub mod teach;
#[cfg(not(target_arch = "wasm32"))]
pub mod pretrained;
#[cfg(target_arch = "wasm32")]
mod web;

/// `initThreadPool(n)` in JavaScript: starts the Web Workers burn's CPU kernels share out to.
/// The page's worker awaits it once, before loading a model.
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub use wasm_bindgen_rayon::init_thread_pool;
pub use bundle::{BundleError, Manifest};
pub use classifier::{Classifier, InferenceError};
pub use model::{Arch, EfficientNet, EfficientNetConfig};
pub use preprocess::{ImageError, Normalization, Preprocessor};
