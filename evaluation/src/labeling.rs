//! Which files of a chosen folder are images of which class. The layout is the trainer's
//! ImageFolder: `<root>/<class>/.../<image>`, the class being the first-level folder, images at
//! any depth below it. Only names and sizes are looked at, so a folder of any size is cheap.

use crate::skip::{SkipReason, Skipped};

/// Extensions the decoder reads (compared without regard to case).
pub const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "jfif", "png", "webp", "gif", "bmp"];

/// One file found under the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedFile {
    /// Relative to the root, `/`-separated: `logo/2024/poster.jpg`.
    pub path: String,
    /// In bytes, where the lister knows it without reading the file.
    pub size: Option<u64>,
}

/// A file to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabeledImage {
    /// Its position in the list given to [`label_files`].
    pub index: usize,
    pub class: usize,
    /// `<root>/<relative path>`, as reports show it.
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labeling {
    pub classes: Vec<String>,
    /// In the byte order of their paths, the order of every report.
    pub images: Vec<LabeledImage>,
    /// In the byte order of their paths.
    pub skipped: Vec<Skipped>,
}

/// `root` joined with a relative path: the path every report shows (`val/logo/1.jpg`,
/// `./data/val/logo/1.jpg`).
pub fn display_path(root: &str, relative: &str) -> String {
    let root = if root.len() > 1 { root.trim_end_matches('/') } else { root };
    match root {
        "" => relative.to_owned(),
        "/" => format!("/{relative}"),
        _ => format!("{root}/{relative}"),
    }
}

/// Labels `files` under `root`: first-level folders are matched to `classes` (a model's, or for
/// training the folder names the caller listed) by name, and files in other folders are skipped.
pub fn label_files(root: &str, files: &[ListedFile], classes: &[String]) -> Labeling {
    let mut images = Vec::new();
    let mut skipped = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let path = display_path(root, &file.path);
        match classify_path(&file.path, file.size, classes) {
            Ok(class) => images.push(LabeledImage { index, class, path }),
            Err(reason) => skipped.push(Skipped::new(path, &reason)),
        }
    }
    images.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Labeling { classes: classes.to_vec(), images, skipped }
}

/// The classes a training folder names, from its files' paths: the first-level folders holding
/// at least one file, hidden ones left out, in byte order. (A browser lists files, not folders:
/// an empty class folder is not seen; the trainer, which lists folders, names it and refuses it.)
pub fn folder_classes(files: &[ListedFile]) -> Vec<String> {
    let mut classes: Vec<String> = files
        .iter()
        .filter_map(|file| file.path.split_once('/').map(|(folder, _)| folder))
        .filter(|folder| !folder.starts_with('.'))
        .map(str::to_owned)
        .collect();
    classes.sort();
    classes.dedup();
    classes
}

/// The class of one file, or why it has none.
fn classify_path(path: &str, size: Option<u64>, classes: &[String]) -> Result<usize, SkipReason> {
    let parts: Vec<&str> = path.split('/').collect();
    let (name, folders) = parts.split_last().expect("split yields at least one part");
    if folders.iter().any(|folder| folder.starts_with('.')) {
        return Err(SkipReason::InHiddenFolder);
    }
    if name.starts_with("._") {
        return Err(SkipReason::AppleDouble);
    }
    if name.starts_with('.') {
        return Err(SkipReason::Hidden);
    }
    let Some(folder) = folders.first() else {
        return Err(SkipReason::NotInClassFolder);
    };
    let Some(class) = classes.iter().position(|class| class == folder) else {
        return Err(SkipReason::UnknownClass { folder: (*folder).to_owned(), classes: classes.to_vec() });
    };
    match extension(name) {
        None => return Err(SkipReason::NoExtension),
        Some(extension) if !IMAGE_EXTENSIONS.contains(&extension.as_str()) => {
            return Err(SkipReason::NotImage { extension });
        }
        Some(_) => {}
    }
    if size == Some(0) {
        return Err(SkipReason::Empty);
    }
    Ok(class)
}

/// Lower-case extension without the dot; `None` for `name`, `name.` and `.name`.
fn extension(name: &str) -> Option<String> {
    let dot = name.rfind('.')?;
    (dot > 0 && dot + 1 < name.len()).then(|| name[dot + 1..].to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(paths: &[&str]) -> Vec<ListedFile> {
        paths.iter().map(|path| ListedFile { path: (*path).to_owned(), size: Some(10) }).collect()
    }

    fn classes(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn every_file_is_labeled_or_skipped_with_its_reason() {
        let mut files = listed(&[
            "logo/a.JPG",
            "logo/2024/deep/b.png",
            "others/c.webp",
            "others/._c.webp",
            "others/.DS_Store",
            ".git/objects/ab",
            "notes.txt",
            "cats/d.jpg",
            "logo/readme",
            "logo/doc.pdf",
            "logo/.hidden/e.jpg",
            "logo/empty.jpg",
        ]);
        files[11].size = Some(0);
        let labeling = label_files("val", &files, &classes(&["logo", "others"]));
        let images: Vec<(&str, usize)> = labeling.images.iter().map(|i| (i.path.as_str(), i.class)).collect();
        assert_eq!(images, [("val/logo/2024/deep/b.png", 0), ("val/logo/a.JPG", 0), ("val/others/c.webp", 1)]);
        let skipped: Vec<(&str, &str)> = labeling.skipped.iter().map(|s| (s.path.as_str(), s.reason.as_str())).collect();
        assert_eq!(
            skipped,
            [
                ("val/.git/objects/ab", "in a hidden folder (its name starts with a dot)"),
                ("val/cats/d.jpg", "folder \"cats\" is not a class of this model (classes: logo, others)"),
                ("val/logo/.hidden/e.jpg", "in a hidden folder (its name starts with a dot)"),
                ("val/logo/doc.pdf", "not an image (.pdf file)"),
                ("val/logo/empty.jpg", "empty file (0 bytes)"),
                ("val/logo/readme", "not an image (no file extension)"),
                ("val/notes.txt", "not in a class folder (files directly in the chosen folder have no label)"),
                ("val/others/.DS_Store", "hidden file (its name starts with a dot)"),
                ("val/others/._c.webp", "macOS metadata file (\"._\" companion of another file), not an image"),
            ]
        );
        assert_eq!(labeling.images.len() + labeling.skipped.len(), files.len());
        assert_eq!(labeling.images[0].index, 1, "indices point into the given list");
    }

    #[test]
    fn a_training_folder_names_its_non_hidden_first_level_folders() {
        let files = listed(&["b/1.jpg", "a/x/2.jpg", ".git/config", "top.jpg", "b/3.png", "Ä/4.jpg"]);
        assert_eq!(folder_classes(&files), classes(&["a", "b", "Ä"]));
    }

    #[test]
    fn paths_are_ordered_by_their_bytes() {
        // '-' (0x2d) sorts before '/' (0x2f); U+E000 (EE 80 80) before U+1F600 (F0 9F 98 80).
        let labeling = label_files("r", &listed(&["a/b.jpg", "a-b/c.jpg", "a/\u{1F600}.jpg", "a/\u{E000}.jpg"]), &classes(&["a", "a-b"]));
        let paths: Vec<&str> = labeling.images.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["r/a-b/c.jpg", "r/a/b.jpg", "r/a/\u{E000}.jpg", "r/a/\u{1F600}.jpg"]);
    }

    #[test]
    fn roots_join_with_one_slash() {
        assert_eq!(display_path("./data/val/", "logo/1.jpg"), "./data/val/logo/1.jpg");
        assert_eq!(display_path("val", "logo/1.jpg"), "val/logo/1.jpg");
        assert_eq!(display_path("/", "logo/1.jpg"), "/logo/1.jpg");
        assert_eq!(display_path("", "logo/1.jpg"), "logo/1.jpg");
    }
}
