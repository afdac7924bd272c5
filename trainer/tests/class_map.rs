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

#[test]
fn eval_plays_the_pointing_game_on_the_sample_boxes() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("predictions.txt");
    let boxes = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample/boxes.csv");
    let stdout = trainer_ok(&["eval", "--model", MODEL, "--data", POSTERS, "--boxes", boxes, "--out", path(&out)]);
    let line = stdout.lines().find(|line| line.starts_with("pointing game: ")).unwrap_or_else(|| panic!("{stdout}"));
    // The 30 validation posters of class logo have boxes; the others none.
    assert!(line.ends_with(" of 30 boxed images)"), "{line}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.with_extension("json")).unwrap()).unwrap();
    let game = &report["pointing_game"];
    assert_eq!(game["images"], 30);
    // serde_json reads floats to within an ulp, not always to the nearest one.
    assert!((game["score"].as_f64().unwrap() - game["hits"].as_f64().unwrap() / 30.0).abs() < 1e-12, "{game}");

    let error = error_line(&["eval", "--model", MODEL, "--data", &format!("{POSTERS}/others"), "--boxes", boxes]);
    assert!(error.contains("none of its files is among the evaluated images") || error.contains("no readable images"), "{error}");
}

#[test]
fn eval_records_its_figures_in_the_bundle() {
    let work = tempfile::tempdir().unwrap();
    let bundle = work.path().join("logo");
    std::fs::create_dir(&bundle).unwrap();
    for file in ["model.json", "weights.bpk"] {
        std::fs::copy(Path::new(MODEL).join(file), bundle.join(file)).unwrap();
    }
    let boxes = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample/boxes.csv");
    let (ok, stdout, stderr) = common::trainer(&["eval", "--model", path(&bundle), "--data", POSTERS, "--boxes", boxes, "--record"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("as evaluations.val"), "{stderr}");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(bundle.join("model.json")).unwrap()).unwrap();
    let recorded = &manifest["evaluations"]["val"];
    let printed = stdout.lines().find_map(|line| line.strip_prefix("accuracy ")).unwrap();
    assert_eq!(format!("{:.4}", recorded["figures"]["accuracy"].as_f64().unwrap()), printed.split(' ').next().unwrap());
    assert_eq!(recorded["images"], 60);
    assert_eq!(recorded["pointing_game"]["images"], 30);
    // Everything else is as it was, and the bundle still loads.
    let original: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(Path::new(MODEL).join("model.json")).unwrap()).unwrap();
    assert_eq!(manifest["weights"], original["weights"]);
    assert_eq!(manifest["metrics"], original["metrics"]);
    trainer_ok(&["eval", "--model", path(&bundle), "--data", POSTERS]);

    let error = error_line(&["eval", "--model", "lite0", "--data", POSTERS, "--record"]);
    assert_eq!(error, "error: --record needs --model to be a bundle folder; lite0 has no model.json");
}
