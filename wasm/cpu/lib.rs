//! effilens as the page's CPU module: its `wasm_bindgen` exports, linked into one cdylib.

#[cfg(target_arch = "wasm32")]
pub use effilens;
