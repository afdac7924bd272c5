//! Writes the small network's weights (src/tiny_network.rs) as burnpack, f32 and f16, into
//! fuzz/corpus/bundle/: the weights seeds, which `fuzz/make_corpus.py` also puts in the
//! checkpoint seed. `cargo run -p effilens-fuzz --example weights_seeds`

use effilens::bundle::{WeightsDtype, encode_weights};

fn main() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/bundle");
    std::fs::create_dir_all(&folder).expect("a writable corpus folder");
    let network = effilens_fuzz::tiny_network();
    for (dtype, name) in [(WeightsDtype::F32, "tiny-f32.bpk"), (WeightsDtype::F16, "tiny-f16.bpk")] {
        let weights = encode_weights(&network, dtype).expect("the network encodes");
        std::fs::write(folder.join(name), weights).expect("a writable corpus folder");
    }
    println!("wrote {}", folder.display());
}
