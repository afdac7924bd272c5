//! The fixtures `tests/fixtures/make_parity_fixtures.py` writes, read back in Rust: the network
//! configuration, the closed-form input and weights, and the reference logits. Shared by the
//! native parity tests and the browser tests.
// The browser tests use only the closed-form fixtures, not the file-weight fields.
#![allow(dead_code)]

use burn::store::burn_pack::{Bytes, DType, Tensor as PackTensor};
use burn::tensor::{Device, Tensor, TensorData};
use effilens::model::weights::load_lukemelas_tensors;
use effilens::model::{Arch, EfficientNet, EfficientNetConfig, StageConfig};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Fixture {
    pub name: String,
    arch: String,
    overrides: Overrides,
    blocks_args: Option<Vec<String>>,
    pub weights_format: String,
    pub weights_file: Option<String>,
    formula_tensors: Option<Vec<(String, Vec<usize>)>>,
    input_shape: [usize; 4],
    pub logits: Vec<f32>,
}

#[derive(Deserialize)]
struct Overrides {
    width_coefficient: Option<f64>,
    depth_coefficient: Option<f64>,
    image_size: Option<usize>,
    num_classes: Option<usize>,
}

impl Fixture {
    pub fn parse(json: &str) -> Self {
        serde_json::from_str(json).expect("a parity fixture")
    }

    pub fn config(&self) -> EfficientNetConfig {
        let arch: Arch = self.arch.parse().unwrap();
        let mut config = EfficientNetConfig::from_arch(arch);
        let overrides = &self.overrides;
        config.width_coefficient = overrides.width_coefficient.unwrap_or(config.width_coefficient);
        config.depth_coefficient = overrides.depth_coefficient.unwrap_or(config.depth_coefficient);
        config.image_size = overrides.image_size.unwrap_or(config.image_size);
        config.num_classes = overrides.num_classes.unwrap_or(config.num_classes);
        if let Some(blocks) = &self.blocks_args {
            config.stages = blocks.iter().map(|block| block.parse::<StageConfig>().unwrap()).collect();
        }
        config
    }

    /// The network with the fixture's closed-form weights.
    pub fn model_with_formula_weights(&self, device: &Device) -> EfficientNet {
        load_lukemelas_tensors(self.config().init(device), self.formula_tensors(), true).unwrap()
    }

    /// The script's closed-form weights, computed the same way (f64, then f32).
    fn formula_tensors(&self) -> Vec<PackTensor> {
        let keys = self.formula_tensors.as_ref().expect("a fixture with formula weights");
        keys.iter()
            .enumerate()
            .map(|(k, (key, shape))| {
                let count: usize = shape.iter().product();
                let bytes: Vec<u8> = (0..count)
                    .flat_map(|i| {
                        let u = ((i + 1) as f64 * 0.7548776662466927 + (k + 1) as f64 * 0.5698402909980532) % 1.0
                            - 0.5;
                        (formula_value(key, shape, u) as f32).to_le_bytes()
                    })
                    .collect();
                PackTensor::new(key.clone(), DType::F32, shape.clone(), None, Bytes::from_bytes_vec(bytes))
            })
            .collect()
    }

    /// The script's closed-form input.
    ///
    /// # Shapes
    /// - output: `input_shape`
    pub fn input(&self, device: &Device) -> Tensor<4> {
        let count: usize = self.input_shape.iter().product();
        let values: Vec<f32> =
            (0..count).map(|i| (((i as f64 * 0.6180339887498949) % 1.0 - 0.5) * 4.0) as f32).collect();
        Tensor::from_data(TensorData::new(values, self.input_shape), device)
    }

    /// Panics unless `logits` are within `tolerance` of the reference everywhere.
    pub fn assert_close(&self, logits: &[f32], tolerance: f32) {
        assert_eq!(logits.len(), self.logits.len(), "{}: logit count", self.name);
        let (worst, index) = logits
            .iter()
            .zip(&self.logits)
            .map(|(ours, reference)| (ours - reference).abs())
            .enumerate()
            .fold((0.0f32, 0), |(worst, at), (index, difference)| {
                if difference > worst { (difference, index) } else { (worst, at) }
            });
        assert!(
            worst <= tolerance,
            "{}: logit {index} differs by {worst} (ours {}, PyTorch {})",
            self.name,
            logits[index],
            self.logits[index]
        );
    }
}

fn formula_value(key: &str, shape: &[usize], u: f64) -> f64 {
    if key.ends_with(".running_mean") || key.ends_with(".bias") {
        0.2 * u
    } else if key.ends_with(".running_var") {
        1.0 + 0.8 * u
    } else {
        match shape {
            [_] => 1.0 + 0.4 * u,
            [_, input, height, width] => u * 3.0 * (3.0 / (input * height * width) as f64).sqrt(),
            [_, input] => u * 2.0 / (*input as f64).sqrt(),
            _ => panic!("no formula for {key} {shape:?}"),
        }
    }
}
