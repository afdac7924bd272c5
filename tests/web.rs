//! The model in a real browser (headless Chromium through `wasm-bindgen-test`), on the CPU and on
//! WebGPU: the same logits as the PyTorch reference within 9e-4. Natively the same fixtures
//! match within 1e-4 (`tests/parity.rs`), so browser and native agree within 1e-3.
#![cfg(target_arch = "wasm32")]

#[path = "support/parity_fixture.rs"]
mod parity_fixture;

use effilens::backend::Backend;
use parity_fixture::Fixture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const TOLERANCE: f32 = 9e-4;

/// Small inputs (64 px): software WebGPU runs at 1–2 GFLOP/s.
const SE_NETWORK: &str = include_str!("fixtures/parity/b3-scaled.json");
const LITE_NETWORK: &str = include_str!("fixtures/parity/lite2-scaled.json");

async fn assert_parity(json: &str, backend: Backend) {
    let fixture = Fixture::parse(json);
    let device = backend.device().await.unwrap();
    let model = fixture.model_with_formula_weights(&device);
    // WebGPU can only read back asynchronously.
    let data = model.forward(fixture.input(&device)).into_data_async().await.unwrap();
    fixture.assert_close(&data.try_to_vec::<f32>().unwrap(), TOLERANCE);
}

#[wasm_bindgen_test]
async fn se_network_on_the_cpu() {
    assert_parity(SE_NETWORK, Backend::Cpu).await;
}

#[wasm_bindgen_test]
async fn lite_network_on_the_cpu() {
    assert_parity(LITE_NETWORK, Backend::Cpu).await;
}

#[cfg(feature = "webgpu")]
#[wasm_bindgen_test]
async fn se_network_on_webgpu() {
    assert_parity(SE_NETWORK, Backend::WebGpu).await;
}

#[cfg(feature = "webgpu")]
#[wasm_bindgen_test]
async fn lite_network_on_webgpu() {
    assert_parity(LITE_NETWORK, Backend::WebGpu).await;
}
