//! Why a file is not evaluated. Every file of a chosen folder ends up evaluated or skipped with
//! one of these reasons, in the trainer and in the page alike.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Directly in the chosen folder: a file there has no class.
    NotInClassFolder,
    /// Under a first-level folder that is not one of the model's classes.
    UnknownClass { folder: String, classes: Vec<String> },
    /// Its name starts with a dot (`.DS_Store`, editor swap files).
    Hidden,
    /// macOS' `._name` companion holding another file's metadata, not an image.
    AppleDouble,
    /// Somewhere below a folder whose name starts with a dot (`.git/`, `.thumbnails/`).
    InHiddenFolder,
    /// An extension the decoder does not read.
    NotImage { extension: String },
    NoExtension,
    Empty,
    /// A pipe, socket or device: reading it may never end.
    NotRegularFile,
    /// Larger than the decoder accepts: refused before reading it.
    TooLarge { bytes: u64, limit: u64 },
    /// The file system refused it.
    Unreadable(String),
    /// A folder whose listing failed (its files are unknown).
    Unlisted(String),
    /// The decoder's own one-line message (`effilens::ImageError`): not an image, truncated, too big.
    Undecodable(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInClassFolder => write!(f, "not in a class folder (files directly in the chosen folder have no label)"),
            Self::UnknownClass { folder, classes } => {
                write!(f, "folder \"{folder}\" is not a class of this model (classes: {})", classes.join(", "))
            }
            Self::Hidden => write!(f, "hidden file (its name starts with a dot)"),
            Self::AppleDouble => write!(f, "macOS metadata file (\"._\" companion of another file), not an image"),
            Self::InHiddenFolder => write!(f, "in a hidden folder (its name starts with a dot)"),
            Self::NotImage { extension } => write!(f, "not an image (.{extension} file)"),
            Self::NoExtension => write!(f, "not an image (no file extension)"),
            Self::Empty => write!(f, "empty file (0 bytes)"),
            Self::NotRegularFile => write!(f, "not a regular file (a pipe, socket or device), not read"),
            Self::TooLarge { bytes, limit } => write!(f, "file is {bytes} bytes, more than the {limit}-byte limit"),
            Self::Unreadable(message) => write!(f, "cannot read file: {message}"),
            Self::Unlisted(message) => write!(f, "cannot list folder: {message}"),
            Self::Undecodable(message) => write!(f, "{message}"),
        }
    }
}

/// A file that was not evaluated, and why. Never dropped silently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

impl Skipped {
    pub fn new(path: impl Into<String>, reason: &SkipReason) -> Self {
        Self { path: path.into(), reason: reason.to_string() }
    }
}

/// The skipped files as the trainer prints them: a count, then one line each.
pub fn skipped_text(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let mut text = format!("skipped {} file{}:\n", skipped.len(), if skipped.len() == 1 { "" } else { "s" });
    for skip in skipped {
        text += &format!("  {}: {}\n", skip.path, skip.reason);
    }
    text
}
