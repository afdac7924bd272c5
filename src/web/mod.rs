//! The `wasm_bindgen` facade the page's Web Worker calls: thin layers that turn Rust errors into
//! JavaScript exceptions with one-line messages.
//!
//! - `classifier`: a loaded bundle that classifies images ([`crate::Classifier`]).
//! - `teacher`: a Teach session ([`crate::teach::TeachSession`]).
//! - `webgpu_lost`: the page hears when the WebGPU device is lost.

mod classifier;
mod teacher;
#[cfg(feature = "webgpu")]
mod webgpu_lost;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    // A panic still ends the instance, but the console then says where and why.
    console_error_panic_hook::set_once();
}

/// The decoder's refusal of a file of `bytes` bytes, or nothing: the worker checks a `File`'s
/// size before reading it, in the words the trainer uses.
#[wasm_bindgen(js_name = fileSizeProblem)]
pub fn file_size_problem(bytes: f64) -> Option<String> {
    let limit = crate::preprocess::DecodeLimits::default().max_bytes;
    (bytes > limit as f64).then(|| crate::ImageError::TooManyBytes { bytes: bytes as usize, limit }.to_string())
}

pub(crate) fn to_js(error: impl std::fmt::Display) -> JsValue {
    JsError::new(&error.to_string()).into()
}
