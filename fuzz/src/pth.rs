//! Any bytes as a lukemelas PyTorch checkpoint (`trainer train --pretrained file.pth`), imported
//! into the small network (tiny_network.rs).

use effilens::model::weights::load_pytorch;

use crate::Outcome;
use crate::tiny_network::tiny_network;

pub fn pth(data: &[u8]) -> Outcome {
    // The importer reads files: one per process and thread, rewritten for each input.
    let path = std::env::temp_dir().join(format!("effilens-fuzz-{}-{:?}.pth", std::process::id(), std::thread::current().id()));
    std::fs::write(&path, data).expect("the temporary folder is writable");
    let loaded = load_pytorch(tiny_network(), &path, true);
    let _ = std::fs::remove_file(&path);
    loaded.map(drop).map_err(|error| error.to_string())
}
