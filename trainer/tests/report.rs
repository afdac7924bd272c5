//! `trainer eval` and `trainer report` through the real binary: the evaluation core's files, the
//! golden fixture byte for byte, and every file of a messy folder accounted for.

mod common;

use std::path::{Path, PathBuf};

use common::{path, trainer, trainer_ok};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/evaluation").join(name)
}

#[test]
fn report_renders_the_golden_records_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("predictions.txt");
    let stdout = trainer_ok(&["report", path(&fixture("records.json")), "--out", path(&out)]);
    assert!(stdout.contains("decision: logo when p(logo) >= 0.7, else others"), "{stdout}");
    assert!(stdout.contains("accuracy 0.5000 (8 images)"), "{stdout}");
    for name in ["predictions.txt", "predictions.json", "predictions.csv"] {
        let written = std::fs::read(work.path().join(name)).unwrap();
        assert!(written == std::fs::read(fixture(name)).unwrap(), "{name} differs from the golden file");
    }
    // Another decision, from the command line.
    trainer_ok(&["report", path(&fixture("records.json")), "--argmax", "--out", path(&out)]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("0.64460 0.35540 1 0 1 0 posters/logo/\u{E000} private use.png\n"), "{text}");
    let (ok, _, stderr) = trainer(&["report", path(&fixture("README.md"))]);
    assert!(!ok && stderr.contains("not an effilens evaluation report"), "{stderr}");
}

/// Writes `<dir>/<relative>`, making folders.
fn put(dir: &Path, relative: &str, bytes: &[u8]) {
    let file = dir.join(relative);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn every_file_of_a_messy_folder_is_evaluated_or_skipped_with_its_reason() {
    let sample = root().join("data/sample/val/logo");
    let mut photos: Vec<PathBuf> = std::fs::read_dir(&sample).unwrap().map(|entry| entry.unwrap().path()).collect();
    photos.sort();
    let jpeg = std::fs::read(&photos[0]).unwrap();
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("messy");
    put(&data, "logo/poster.jpeg", &jpeg);
    put(&data, "logo/nested/deeper/poster.jpeg", &jpeg);
    put(&data, "logo/._poster.jpeg", b"\x00\x05\x16\x07AppleDouble metadata");
    put(&data, "logo/.DS_Store", b"Bud1");
    put(&data, ".git/HEAD", b"ref: refs/heads/main\n");
    put(&data, "others/cut.jpeg", &jpeg[..jpeg.len() / 2]);
    put(&data, "others/empty.jpeg", b"");
    put(&data, "others/notes.txt", b"text");
    put(&data, "cats/poster.jpeg", &jpeg);
    put(&data, "top.jpeg", &jpeg);
    let files = 10;

    let out = work.path().join("out/predictions.txt");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let model = root().join("www/models/logo");
    trainer_ok(&["eval", "--model", path(&model), "--data", path(&data), "--out", path(&out)]);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.with_extension("json")).unwrap()).unwrap();
    let evaluated: Vec<&str> = report["predictions"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
    let skipped: Vec<(&str, &str)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(evaluated.len() + skipped.len(), files, "evaluated {evaluated:?}, skipped {skipped:?}");
    let prefix = path(&data).to_owned() + "/";
    let reason = |relative: &str| skipped.iter().find(|(p, _)| *p == prefix.clone() + relative).map(|(_, r)| *r);
    assert_eq!(reason("logo/._poster.jpeg"), Some("macOS metadata file (\"._\" companion of another file), not an image"));
    assert_eq!(reason("logo/.DS_Store"), Some("hidden file (its name starts with a dot)"));
    assert_eq!(reason(".git/HEAD"), Some("in a hidden folder (its name starts with a dot)"));
    assert!(reason("others/cut.jpeg").unwrap().starts_with("truncated JPEG"));
    assert_eq!(reason("others/empty.jpeg"), Some("empty file (0 bytes)"));
    assert_eq!(reason("top.jpeg"), Some("not in a class folder (files directly in the chosen folder have no label)"));
    assert!(reason("cats/poster.jpeg").unwrap().starts_with("folder \"cats\" is not a class of this model"));
    // Reports are in the byte order of their paths, and the CSV sits beside the text file.
    assert_eq!(evaluated, [prefix.clone() + "logo/nested/deeper/poster.jpeg", prefix + "logo/poster.jpeg"]);
    assert!(std::fs::read_to_string(out.with_extension("csv")).unwrap().starts_with("path,true,predicted,correct,p(logo),p(others)\r\n"));
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() { copy_folder(&path, &target) } else { std::fs::copy(&path, &target).map(|_| ()).unwrap() }
    }
}

#[test]
fn shards_merge_into_exactly_the_unsharded_report() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("val");
    copy_folder(&root().join("data/sample/val"), &data);
    put(&data, "others/notes.txt", b"text");
    put(&data, "logo/._val-logo-001.jpg", b"AppleDouble");
    put(&data, "unknown/x.jpg", b"x");
    let model = root().join("www/models/logo");
    let eval = |out: &Path, shard: Option<String>| {
        let mut args = vec!["eval", "--model", path(&model), "--data", path(&data), "--out", path(out)];
        if let Some(shard) = &shard {
            args.extend(["--shard", shard.as_str()]);
        }
        trainer_ok(&args);
    };
    let whole = work.path().join("whole/predictions.txt");
    std::fs::create_dir_all(whole.parent().unwrap()).unwrap();
    eval(&whole, None);
    for count in [1, 3, 7] {
        let dir = work.path().join(format!("shards-{count}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut reports = Vec::new();
        for index in (0..count).rev() {
            let out = dir.join(format!("shard-{index}.txt"));
            eval(&out, Some(format!("{index}/{count}")));
            reports.push(out.with_extension("json"));
        }
        let merged = dir.join("predictions.txt");
        let mut args = vec!["merge", "--out", path(&merged)];
        args.extend(reports.iter().map(|report| path(report)));
        trainer_ok(&args);
        for extension in ["txt", "json", "csv"] {
            let (expected, actual) = (std::fs::read(whole.with_extension(extension)).unwrap(), std::fs::read(merged.with_extension(extension)).unwrap());
            assert!(expected == actual, "{count} shards: predictions.{extension} differs from the unsharded run's");
        }
        if count == 3 {
            let (ok, _, stderr) = trainer(&["merge", path(&reports[0]), path(&reports[1])]);
            assert!(!ok && stderr.contains("missing shard: 0/3"), "{stderr}");
        }
    }
    let (ok, _, stderr) = trainer(&["eval", "--model", path(&model), "--data", path(&data), "--shard", "3/3"]);
    assert!(!ok && stderr.contains("expected I/N with 0 <= I < N"), "{stderr}");
}
