//! The activation functions EfficientNet uses between layers, as a plain choice.
//!
//! A module of its own because both the model (which picks one per layer) and the CPU kernels
//! (which apply it fused into a convolution or batch norm) need it; neither has to import the
//! other for it. How each is applied lives with its user: `model::activation` for burn's
//! operations, `kernels::activation` for the fused kernels.

use serde::{Deserialize, Serialize};

/// The activation between layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `x * sigmoid(x)`, the EfficientNet default.
    Swish,
    /// `min(max(x, 0), 6)`, used by the Lite variants because it quantises well.
    Relu6,
}
