//! ImageFolder: `root/<class>/<image>`, the class of an image being its first-level folder.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Extensions the decoder understands (case-insensitive).
const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "jfif"];

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub path: PathBuf,
    pub class: usize,
}

/// A file that will not be used, and why. Never dropped silently.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct ImageFolder {
    pub classes: Vec<String>,
    pub samples: Vec<Sample>,
    pub skipped: Vec<Skipped>,
}

impl ImageFolder {
    /// Scans `root`. With `classes` given (a model's), folders are matched to them and unknown
    /// folders are skipped; otherwise the sorted folder names are the classes.
    pub fn scan(root: &Path, classes: Option<&[String]>) -> Result<Self> {
        if !root.is_dir() {
            bail!("{}: no such folder", root.display());
        }
        let mut folders = Vec::new();
        let mut skipped = Vec::new();
        for entry in sorted_entries(root)? {
            if entry.is_dir() {
                folders.push(entry);
            } else {
                skipped.push(Skipped { path: entry, reason: "not inside a class folder".into() });
            }
        }
        let names: Vec<String> =
            folders.iter().map(|folder| folder.file_name().unwrap().to_string_lossy().into_owned()).collect();
        let classes = match classes {
            Some(classes) => classes.to_vec(),
            None => names.clone(),
        };
        let mut samples = Vec::new();
        for (folder, name) in folders.iter().zip(&names) {
            let Some(class) = classes.iter().position(|known| known == name) else {
                skipped.push(Skipped { path: folder.clone(), reason: format!("'{name}' is not a class of this model") });
                continue;
            };
            for file in walk(folder)? {
                if is_image_name(&file) {
                    samples.push(Sample { path: file, class });
                } else {
                    skipped.push(Skipped { path: file, reason: "not an image file (by its extension)".into() });
                }
            }
        }
        Ok(Self { classes, samples, skipped })
    }

    /// Scans a training folder: at least two classes, each with images.
    pub fn scan_training(root: &Path) -> Result<Self> {
        let folder = Self::scan(root, None)?;
        match folder.classes.len() {
            0 => bail!("{}: no class folders (expected {}/<class>/<image>)", root.display(), root.display()),
            1 => bail!("{}: only one class ('{}'); a classifier needs at least two", root.display(), folder.classes[0]),
            _ => {}
        }
        for (index, class) in folder.classes.iter().enumerate() {
            if !folder.samples.iter().any(|sample| sample.class == index) {
                bail!("{}: class '{class}' has no images", root.display());
            }
        }
        Ok(folder)
    }

    pub fn count(&self, class: usize) -> usize {
        self.samples.iter().filter(|sample| sample.class == class).count()
    }

    /// Splits off a validation set: `fraction` of each class (at least one image of every class
    /// with two or more), chosen by `seed`. Returns `(train, validation)`.
    pub fn stratified_split(mut self, fraction: f64, seed: u64) -> (Self, Self) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut validation = Vec::new();
        let mut train = Vec::new();
        for class in 0..self.classes.len() {
            let mut members: Vec<Sample> = self.samples.iter().filter(|s| s.class == class).cloned().collect();
            members.shuffle(&mut rng);
            let wanted = ((members.len() as f64 * fraction).round() as usize).max(1).min(members.len() - 1);
            validation.extend(members.drain(..wanted));
            train.extend(members);
        }
        let sort = |samples: &mut Vec<Sample>| samples.sort_by(|a, b| a.path.cmp(&b.path));
        sort(&mut train);
        sort(&mut validation);
        self.samples = train;
        let held_out = Self { samples: validation, skipped: Vec::new(), ..self.clone() };
        (self, held_out)
    }
}

fn is_image_name(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| IMAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Entries of `dir`, sorted by name so every run sees the same order; hidden files left out.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')) {
            entries.push(path);
        }
    }
    entries.sort();
    Ok(entries)
}

/// Every file below `dir`, nested folders included, in sorted order.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in sorted_entries(dir)? {
        if entry.is_dir() {
            files.extend(walk(&entry)?);
        } else {
            files.push(entry);
        }
    }
    Ok(files)
}
