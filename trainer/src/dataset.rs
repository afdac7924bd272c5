//! ImageFolder: `root/<class>/<image>`, the class of an image being its first-level folder. The
//! walk is here; which file is an image of which class, and why the others are skipped, is the
//! evaluation core's (`effilens_evaluation::labeling`), shared with the page.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use effilens_evaluation::labeling::display_path;
use effilens_evaluation::{ListedFile, Shard, SkipReason, Skipped, label_files};

#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Where to read it.
    pub path: PathBuf,
    /// `<root as given>/<class>/…`, as reports show it.
    pub display: String,
    pub class: usize,
}

#[derive(Clone, Debug)]
pub struct ImageFolder {
    pub classes: Vec<String>,
    /// In the byte order of their displayed paths.
    pub samples: Vec<Sample>,
    pub skipped: Vec<Skipped>,
    /// First-level folders that are not among the classes given to [`ImageFolder::scan`].
    pub unknown_folders: Vec<String>,
    /// `root/` as displayed paths start.
    prefix: String,
}

impl ImageFolder {
    /// Scans `root`. With `classes` given (a model's), folders are matched to them and files in
    /// unknown folders are skipped; otherwise the folder names (hidden ones excepted) in byte
    /// order are the classes. Every file found is either a sample or skipped with its reason.
    pub fn scan(root: &Path, classes: Option<&[String]>) -> Result<Self> {
        if !root.is_dir() {
            bail!("{}: no such folder", root.display());
        }
        let root_name = root.to_string_lossy();
        let mut walk = Walk::default();
        walk.folder(root, "")?;
        let folders = class_folders(root)?;
        let classes = classes.map_or_else(|| folders.clone(), <[String]>::to_vec);
        let labeling = label_files(&root_name, &walk.files, &classes);
        let samples = labeling
            .images
            .into_iter()
            .map(|image| Sample { path: walk.paths[image.index].clone(), display: image.path, class: image.class })
            .collect();
        let mut skipped = labeling.skipped;
        skipped.extend(walk.unlisted.iter().map(|(path, message)| {
            Skipped::new(display_path(&root_name, path), &SkipReason::Unlisted(message.clone()))
        }));
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let unknown_folders = folders.into_iter().filter(|folder| !classes.contains(folder)).collect();
        let prefix = display_path(&root_name, "");
        Ok(Self { classes, samples, skipped, unknown_folders, prefix })
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

    /// Keeps this shard's share of the files, evaluated and skipped alike, chosen by each file's
    /// path below the root.
    pub fn keep_shard(&mut self, shard: Shard) {
        let prefix = self.prefix.clone();
        let holds = |display: &str| shard.holds(display.strip_prefix(&prefix).unwrap_or(display));
        self.samples.retain(|sample| holds(&sample.display));
        self.skipped.retain(|skip| holds(&skip.path));
    }

    /// The samples by path below the root, class and size: the same for the same images
    /// wherever the folder lies.
    pub fn fingerprint(&self) -> crate::checkpoint::DataFingerprint {
        let mut listing = String::new();
        for sample in &self.samples {
            let size = std::fs::metadata(&sample.path).map_or(0, |metadata| metadata.len());
            let relative = sample.display.strip_prefix(&self.prefix).unwrap_or(&sample.display);
            listing += &format!("{relative}\t{}\t{size}\n", sample.class);
        }
        crate::checkpoint::DataFingerprint { images: self.samples.len(), sha256: effilens::bundle::sha256_hex(listing.as_bytes()) }
    }

    pub fn count(&self, class: usize) -> usize {
        self.samples.iter().filter(|sample| sample.class == class).count()
    }

    /// Splits off a validation set: `fraction` of each class (at least one image of every class
    /// with two or more), chosen by `seed`. Returns `(train, validation)`.
    /// (`effilens::teach::validation_share`, the page's split too.)
    pub fn stratified_split(mut self, fraction: f64, seed: u64) -> (Self, Self) {
        let classes: Vec<usize> = self.samples.iter().map(|sample| sample.class).collect();
        let held_out = effilens::teach::validation_share(&classes, self.classes.len(), fraction, seed);
        let (validation, train): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.samples).into_iter().zip(held_out).partition(|(_, held)| *held);
        let validation: Vec<Sample> = validation.into_iter().map(|(sample, _)| sample).collect();
        self.samples = train.into_iter().map(|(sample, _)| sample).collect();
        let held_out = Self { samples: validation, skipped: Vec::new(), ..self.clone() };
        (self, held_out)
    }
}

/// The first-level folders of `root`, hidden ones left out, in byte order.
fn class_folders(root: &Path) -> Result<Vec<String>> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if path.is_dir() && !name.starts_with('.') {
            folders.push(name);
        }
    }
    folders.sort();
    Ok(folders)
}

/// Every file below a folder, hidden ones included: what is not an image is reported, not hidden.
#[derive(Default)]
struct Walk {
    /// Relative to the root, `/`-separated, with sizes.
    files: Vec<ListedFile>,
    /// Parallel to `files`: where to read each.
    paths: Vec<PathBuf>,
    /// Folders that could not be listed (relative, ending in `/`) and why.
    unlisted: Vec<(String, String)>,
}

impl Walk {
    fn folder(&mut self, dir: &Path, relative: &str) -> Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if !relative.is_empty() => {
                self.unlisted.push((format!("{relative}/"), error.to_string()));
                return Ok(());
            }
            Err(error) => bail!("cannot list {}: {error}", dir.display()),
        };
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let child = if relative.is_empty() { name } else { format!("{relative}/{name}") };
            if path.is_dir() {
                self.folder(&path, &child)?;
            } else {
                // A pipe or a device has no size to judge it by; reading it is refused later.
                let size = std::fs::metadata(&path).ok().filter(std::fs::Metadata::is_file).map(|metadata| metadata.len());
                self.files.push(ListedFile { path: child, size });
                self.paths.push(path);
            }
        }
        Ok(())
    }
}
