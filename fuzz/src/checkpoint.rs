//! Any bytes as a trainer checkpoint (`trainer train --resume`, `trainer export`): the container
//! and the run's state as the trainer reads them, then the network's weights, read into the
//! small network (tiny_network.rs) rather than the one the state names.

use effilens::bundle::decode_weights;

use crate::Outcome;
use crate::tiny_network::tiny_network;
use crate::trainer_checkpoint::Checkpoint;

pub fn checkpoint(data: &[u8]) -> Outcome {
    let checkpoint = Checkpoint::parse(data).map_err(|error| format!("{error:#}"))?;
    decode_weights(tiny_network(), &checkpoint.model).map(drop)
}
