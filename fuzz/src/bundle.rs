//! Any bytes as a bundle's weights file (burnpack, f32 or f16), read into the small network
//! (tiny_network.rs) as `Manifest::load_model` reads a bundle's once its size and checksum match.

use effilens::bundle::decode_weights;

use crate::Outcome;
use crate::tiny_network::tiny_network;

pub fn bundle(data: &[u8]) -> Outcome {
    decode_weights(tiny_network(), data).map(drop)
}
