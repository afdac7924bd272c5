//! The EfficientNet family, written once for every backend burn runs on.

mod activation;
mod config;
mod conv_norm;
mod drop_connect;
mod efficientnet;
mod frozen;
mod mbconv;
mod squeeze_excitation;
pub mod weights;
pub mod imagenet;
mod tensor_load;

pub(crate) use tensor_load::apply_checked;

pub use crate::activation::Activation;
pub use config::{
    Arch, BlockConfig, EFFICIENTNET_LITE_STAGES, EFFICIENTNET_STAGES, EfficientNetConfig, Scaling, StageConfig,
};
pub use conv_norm::ConvNorm;
pub use drop_connect::DropConnect;
pub use efficientnet::EfficientNet;
pub use mbconv::MbConv;
pub use squeeze_excitation::SqueezeExcitation;
