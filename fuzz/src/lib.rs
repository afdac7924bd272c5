//! Fuzz targets: each takes any bytes, as a file from someone else would arrive, and must return
//! (refusing it is fine) without panicking, hanging or allocating without bound. libFuzzer runs
//! them for as long as asked (`cargo xtask fuzz`); the test command replays the seed corpus and
//! every input that ever failed (tests/replay.rs).
//!
//! - `image`: any file as an image to classify (decode budgets, every format, resize).
//! - `reduced_jpeg`: the reduced-size JPEG path against the full decoder.
//! - `manifest`: `model.json` text.
//! - `bundle`: a bundle's weights file.
//! - `checkpoint`: a trainer checkpoint (`--resume`, `export`).
//! - `pth`: a PyTorch checkpoint imported as pretrained weights.

mod bundle;
mod checkpoint;
mod image;
mod manifest;
mod pth;
mod reduced_jpeg;
mod tiny_network;

pub use bundle::bundle;
pub use checkpoint::checkpoint;
pub use image::image;
pub use manifest::manifest;
pub use pth::pth;
pub use reduced_jpeg::reduced_jpeg;
pub use tiny_network::tiny_network;

/// What a target made of its input: accepted whole, or refused with the reader's reason. A
/// target's failure is a panic (or a hang, or a crash), never an `Err`.
pub type Outcome = Result<(), String>;

/// A fuzz target: any bytes in, what the reader made of them out.
pub type Target = fn(&[u8]) -> Outcome;

/// Every target by the name of its corpus folder, for the replay.
pub const TARGETS: [(&str, Target); 6] = [
    ("image", image),
    ("reduced_jpeg", reduced_jpeg),
    ("manifest", manifest),
    ("bundle", bundle),
    ("checkpoint", checkpoint),
    ("pth", pth),
];

// The trainer's checkpoint file format, compiled here as the trainer compiles it (it is a
// binary crate: nothing to depend on).
#[path = "../../trainer/src/atomic_file.rs"]
#[allow(dead_code)]
mod atomic_file;
#[path = "../../trainer/src/settings.rs"]
#[allow(dead_code)]
mod settings;
#[path = "../../trainer/src/checkpoint.rs"]
#[allow(dead_code)]
mod trainer_checkpoint;
