//! Bundles round-trip in f32 and f16, and a damaged or mismatched bundle is refused clearly.
#![cfg(not(target_arch = "wasm32"))]

use burn::tensor::{Device, Tensor};
use effilens::bundle::{FORMAT_VERSION, Manifest, WeightsDtype, WeightsFile, encode_weights, sha256_hex};
use effilens::{Arch, EfficientNet, EfficientNetConfig, Normalization};

fn manifest(arch: Arch, weights: &[u8], dtype: WeightsDtype) -> Manifest {
    Manifest {
        format_version: FORMAT_VERSION,
        name: "test".into(),
        arch,
        classes: vec!["logo".into(), "others".into()],
        image_size: 64,
        normalization: Normalization::Lite,
        weights: WeightsFile { file: "weights.bpk".into(), dtype, sha256: sha256_hex(weights), bytes: weights.len() as u64 },
        source_weights: String::new(),
        training: serde_json::Value::Null,
        metrics: serde_json::Value::Null,
        evaluations: serde_json::Value::Null,
    }
}

fn outputs(model: &EfficientNet, device: &Device) -> Vec<f32> {
    let input = Tensor::<4>::ones([1, 3, 64, 64], device) * 0.5;
    model.forward(input).into_data().try_to_vec().unwrap()
}

#[test]
fn round_trips_in_f32_and_f16() {
    let device = Device::flex();
    let model = EfficientNetConfig::from_arch(Arch::Lite0).with_num_classes(2).init(&device);
    let expected = outputs(&model, &device);
    for (dtype, tolerance) in [(WeightsDtype::F32, 0.0), (WeightsDtype::F16, 2e-2)] {
        let weights = encode_weights(&model, dtype).unwrap();
        let manifest = Manifest::parse(&manifest(Arch::Lite0, &weights, dtype).to_json()).unwrap();
        let loaded = manifest.load_model(&weights, &device).unwrap();
        let worst = outputs(&loaded, &device).iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst <= tolerance, "{dtype:?}: outputs differ by {worst}");
    }
    let f32_size = encode_weights(&model, WeightsDtype::F32).unwrap().len();
    let f16_size = encode_weights(&model, WeightsDtype::F16).unwrap().len();
    assert!(f16_size < f32_size * 6 / 10, "f16 {f16_size} bytes vs f32 {f32_size}");
}

#[test]
fn damaged_or_mismatched_bundles_are_refused() {
    let device = Device::flex();
    let model = EfficientNetConfig::from_arch(Arch::Lite0).with_num_classes(2).init(&device);
    let weights = encode_weights(&model, WeightsDtype::F16).unwrap();

    let mut damaged = weights.clone();
    damaged[weights.len() / 2] ^= 0x40;
    let error = manifest(Arch::Lite0, &weights, WeightsDtype::F16).load_model(&damaged, &device).unwrap_err();
    assert!(error.to_string().starts_with("weights checksum mismatch"), "{error}");

    let error = manifest(Arch::B0, &weights, WeightsDtype::F16).load_model(&weights, &device).unwrap_err();
    assert!(error.to_string().starts_with("weights do not fit efficientnet-b0 with 2 classes:"), "{error}");

    let mut json: serde_json::Value = serde_json::from_str(&manifest(Arch::Lite0, &weights, WeightsDtype::F16).to_json()).unwrap();
    json["weights"]["file"] = "../../etc/passwd".into();
    let error = Manifest::parse(&json.to_string()).unwrap_err();
    assert!(error.to_string().contains("must be a plain file name"), "{error}");
    json["weights"]["file"] = "weights.bpk".into();
    json["classes"] = serde_json::json!(["logo"]);
    let error = Manifest::parse(&json.to_string()).unwrap_err();
    assert!(error.to_string().contains("at least 2 classes"), "{error}");
    json["classes"] = serde_json::json!((0..10_001).map(|class| format!("class {class}")).collect::<Vec<_>>());
    let error = Manifest::parse(&json.to_string()).unwrap_err();
    assert!(error.to_string().contains("10001 classes, more than the 10000 a bundle may have"), "{error}");
    // A weights file of another size is refused by its length, before any hashing.
    let error = manifest(Arch::Lite0, &weights, WeightsDtype::F16).load_model(&weights[..weights.len() - 1], &device).unwrap_err();
    assert!(error.to_string().starts_with(&format!("weights file is {} bytes, but model.json says {}", weights.len() - 1, weights.len())), "{error}");
    let error = Manifest::parse("{ not json").unwrap_err();
    assert!(error.to_string().starts_with("invalid model.json"), "{error}");
}
