//! `trainer predict --cam`: where the model saw a class, written over the image as PNG.

mod common;

use std::path::Path;

use common::{error_line, path, trainer_ok};

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/logo");
const POSTERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample/val");

fn poster(class: &str) -> String {
    let mut names: Vec<_> = std::fs::read_dir(Path::new(POSTERS).join(class)).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names[0].to_string_lossy().into_owned()
}

#[test]
fn predict_writes_the_map_over_the_image_and_says_where_it_peaks() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("where.png");
    let image = poster("logo");
    let stdout = trainer_ok(&["predict", "--weights", MODEL, "--cam", path(&out), "--cam-class", "logo", &image]);
    assert!(stdout.contains("map of logo peaks at "), "{stdout}");
    let overlay = image::open(&out).unwrap();
    let original = image::open(&image).unwrap();
    let scale = 512.0 / f64::from(original.width().max(original.height())).max(512.0);
    assert_eq!(overlay.width(), (f64::from(original.width()) * scale).round() as u32);
    assert_eq!(overlay.height(), (f64::from(original.height()) * scale).round() as u32);

    // Several images: one map each in the folder; the default class is each one's most probable.
    let folder = work.path().join("maps");
    let stdout = trainer_ok(&["predict", "--weights", MODEL, "--cam", path(&folder), &image, &poster("others")]);
    assert_eq!(stdout.matches("map of ").count(), 2, "{stdout}");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);

    let error = error_line(&["predict", "--weights", MODEL, "--cam", path(&out), "--cam-class", "cat", &image]);
    assert_eq!(error, "error: --cam-class 'cat' is not one of the model's classes (logo, others)");
}
