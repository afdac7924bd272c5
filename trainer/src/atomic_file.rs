//! Replacing a file all at once: readers, and whatever is left after a crash or a full disk, see
//! either the old contents or the new, never a torn file.
//!
//! The new contents go to a temporary file beside the target, are synced to disk, and the file
//! is renamed over the target; the directory is then synced so that the rename itself survives
//! a crash. Checkpoints, metrics files, predictions and benchmark reports are all written so.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `contents` to `path` atomically (metrics files, predictions).
pub fn write_file_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let temporary = temporary_path(path);
    write_synced(&temporary, |file| Ok(file.write_all(contents)?)).with_context(|| format!("cannot write {}", path.display()))?;
    rename_into_place(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Where the new contents of `path` are written before they replace it: beside it, so that the
/// rename stays on one file system.
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Creates `temporary`, lets `write` fill it, and syncs it to disk. On failure the temporary file
/// is removed, so nothing half-written stays behind; the target was never touched.
pub fn write_synced(temporary: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let written = File::create(temporary).map_err(anyhow::Error::from).and_then(|mut file| {
        write(&mut file)?;
        file.sync_all()?;
        Ok(())
    });
    if written.is_err() {
        let _ = std::fs::remove_file(temporary);
    }
    written
}

/// Renames the synced `temporary` over `path`, then syncs the directory to make the rename
/// durable (best effort: not every platform can open a directory).
pub fn rename_into_place(temporary: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::rename(temporary, path)?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
        && let Ok(dir) = File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.json");
        std::fs::write(&path, "old").unwrap();
        write_file_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(!temporary_path(&path).exists());
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last.ckpt");
        std::fs::write(&path, "good").unwrap();
        let temporary = temporary_path(&path);
        let error = write_synced(&temporary, |file| {
            file.write_all(b"torn")?;
            anyhow::bail!("disk full")
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "disk full");
        assert!(!temporary.exists());
        assert_eq!(std::fs::read(&path).unwrap(), b"good");
    }
}
