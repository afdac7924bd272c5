//! The small network weights are read into: the parity fixture `tiny-lite`
//! (tests/fixtures/parity/), Lite0's stem and head around three small stages, 3 classes. Reading
//! weights checks every tensor's name, shape and type against the network, which this one
//! exercises as a Lite0 would, without building 3.4 million parameters for every input.

use burn::tensor::Device;
use effilens::model::{Arch, EfficientNet, EfficientNetConfig, StageConfig};

thread_local! {
    static NETWORK: EfficientNet = {
        let mut config = EfficientNetConfig::from_arch(Arch::Lite0);
        config.image_size = 33;
        config.num_classes = 3;
        config.stages = ["r1_k3_s11_e1_i32_o16", "r2_k5_s22_e6_i16_o24", "r1_k3_s11_e6_i24_o32"]
            .iter()
            .map(|stage| stage.parse::<StageConfig>().expect("a stage"))
            .collect();
        let device = Device::flex();
        device.seed(0);
        config.init(&device)
    };
}

/// The network, fresh for each input (a clone shares its parameters until they are replaced).
pub fn tiny_network() -> EfficientNet {
    NETWORK.with(EfficientNet::clone)
}
