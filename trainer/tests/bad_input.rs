//! Bad input gets one clear line, exit status 1, and loses nothing.

mod common;

use std::path::Path;

use common::{badge_split, error_line, path, trainer, write_badge_dataset};

fn train_with(train: &Path, val: &Path, checkpoints: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "train", "--train-data", path(train), "--val-data", path(val), "--checkpoint-dir", path(checkpoints),
        "--pretrained", "none", "--image-size", "32", "--batch-size", "4", "--epochs", "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run_strings(args: &[String]) -> String {
    error_line(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn training_data_problems() {
    let work = tempfile::tempdir().unwrap();
    let checkpoints = work.path().join("checkpoints");
    let missing = work.path().join("missing");
    let line = run_strings(&train_with(&missing, &missing, &checkpoints, &[]));
    assert!(line.contains("no such folder"), "{line}");

    let empty = work.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let line = run_strings(&train_with(&empty, &empty, &checkpoints, &[]));
    assert!(line.contains("no class folders"), "{line}");

    let single = work.path().join("single");
    std::fs::create_dir_all(single.join("logo")).unwrap();
    let line = run_strings(&train_with(&single, &single, &checkpoints, &[]));
    assert!(line.contains("only one class ('logo')"), "{line}");

    let train = work.path().join("train");
    write_badge_dataset(&train, 4, 1);
    let val = work.path().join("val");
    write_badge_dataset(&val, 2, 2);
    std::fs::remove_dir_all(val.join("others")).unwrap();
    let line = run_strings(&train_with(&train, &val, &checkpoints, &[]));
    assert!(line.contains("class 'others' is in the training data but has no validation images"), "{line}");
}

#[test]
fn unreadable_files_are_skipped_and_listed_and_none_left_is_an_error() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 4, 2, 1);
    std::fs::write(train.join("logo/notes.txt"), "not an image").unwrap();
    std::fs::write(train.join("logo/corrupt.jpg"), b"\xFF\xD8\xFF\xE0 truncated").unwrap();
    std::fs::write(train.join("others/empty.png"), b"").unwrap();
    let checkpoints = work.path().join("checkpoints");
    let args = train_with(&train, &val, &checkpoints, &[]);
    let (ok, _, stderr) = trainer(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{stderr}");
    assert!(stderr.contains("skipped 3 files"), "{stderr}");
    assert!(stderr.contains("notes.txt: not an image (.txt file)"), "{stderr}");
    assert!(stderr.contains("corrupt.jpg: truncated JPEG"), "{stderr}");
    assert!(stderr.contains("empty.png: empty file (0 bytes)"), "{stderr}");

    let unreadable = work.path().join("unreadable");
    for class in ["logo", "others"] {
        std::fs::create_dir_all(unreadable.join(class)).unwrap();
        std::fs::write(unreadable.join(class).join("broken.png"), b"\x89PNG nope").unwrap();
    }
    let line = run_strings(&train_with(&unreadable, &val, &checkpoints, &[]));
    assert!(line.contains("no readable images left"), "{line}");
}

#[test]
fn a_diverging_loss_stops_and_keeps_the_last_good_checkpoint() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 4, 2, 1);
    let checkpoints = work.path().join("checkpoints");
    let (ok, _, stderr) = trainer(&train_with(&train, &val, &checkpoints, &[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{stderr}");
    let good = std::fs::read(checkpoints.join("last.ckpt")).unwrap();

    // A fresh run into the same folder diverges in its first epoch.
    let line = run_strings(&train_with(&train, &val, &checkpoints, &["--lr", "1e30", "--warmup-epochs", "0"]));
    assert!(line.contains("the loss became") && line.contains("last.ckpt"), "{line}");
    assert_eq!(std::fs::read(checkpoints.join("last.ckpt")).unwrap(), good, "the good checkpoint was touched");
}

#[test]
fn an_incompatible_resume_checkpoint_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 4, 2, 1);
    let checkpoints = work.path().join("checkpoints");
    let (ok, _, stderr) = trainer(&train_with(&train, &val, &checkpoints, &[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{stderr}");

    // Other classes.
    let other = work.path().join("other");
    write_badge_dataset(&other, 4, 3);
    std::fs::rename(other.join("logo"), other.join("brand")).unwrap();
    let last = checkpoints.join("last.ckpt");
    let line = run_strings(&train_with(&other, &other, &work.path().join("c2"), &["--resume", path(&last)]));
    assert!(line.contains("incompatible --resume checkpoint"), "{line}");

    // Not a checkpoint at all.
    let bogus = work.path().join("bogus.ckpt");
    std::fs::write(&bogus, b"hello").unwrap();
    let line = run_strings(&train_with(&train, &val, &work.path().join("c3"), &["--resume", path(&bogus)]));
    assert!(line.contains("not a usable trainer checkpoint"), "{line}");
}

#[test]
fn predict_refuses_bad_checkpoints_and_bad_images_clearly() {
    let work = tempfile::tempdir().unwrap();
    let lite0 = effilens::pretrained::imagenet_checkpoint(effilens::Arch::Lite0).unwrap();
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/photos/chelsea.jpg");

    let truncated = work.path().join("efficientnet-lite0-truncated.pth");
    let bytes = std::fs::read(&lite0).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let line = error_line(&["predict", "--weights", path(&truncated), photo]);
    assert!(line.contains("cannot read checkpoint") && line.contains("truncated"), "{line}");

    let line = error_line(&["predict", "--weights", path(&lite0), "--arch", "efficientnet-b0", photo]);
    assert!(line.contains("does not fit this model") && line.contains("missing"), "{line}");

    let text = work.path().join("notes.jpg");
    std::fs::write(&text, "definitely not a JPEG").unwrap();
    let line = error_line(&["predict", "--weights", "lite0", path(&text)]);
    assert!(line.contains("notes.jpg: not a supported image"), "{line}");

    // A BMP header claiming 30000×30000 pixels: refused before any pixel is decoded.
    let mut bomb = Vec::new();
    bomb.extend_from_slice(b"BM");
    bomb.extend_from_slice(&(54u32 + 12).to_le_bytes());
    bomb.extend_from_slice(&[0; 4]);
    bomb.extend_from_slice(&54u32.to_le_bytes());
    bomb.extend_from_slice(&40u32.to_le_bytes());
    bomb.extend_from_slice(&30_000i32.to_le_bytes());
    bomb.extend_from_slice(&30_000i32.to_le_bytes());
    bomb.extend_from_slice(&1u16.to_le_bytes());
    bomb.extend_from_slice(&24u16.to_le_bytes());
    bomb.extend_from_slice(&[0; 24]);
    bomb.extend_from_slice(&[0; 12]);
    let huge = work.path().join("huge.bmp");
    std::fs::write(&huge, bomb).unwrap();
    let line = error_line(&["predict", "--weights", "lite0", path(&huge)]);
    assert!(line.contains("huge.bmp: image is 30000×30000 pixels, more than the 64000000-pixel limit"), "{line}");
}

#[test]
#[cfg(not(feature = "cuda"))]
fn a_device_this_build_lacks_is_named_with_the_way_to_get_it() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 2, 1, 9);
    let checkpoints = work.path().join("checkpoints");
    let line = run_strings(&train_with(&train, &val, &checkpoints, &["--device", "cuda:1"]));
    assert!(line.contains("built without CUDA: build it with `cargo build --release -p trainer --features cuda`"), "{line}");
    assert!(!checkpoints.exists(), "nothing was written");

    let (ok, _, stderr) = common::trainer(&["eval", "--model", "lite0", "--data", path(&val), "--device", "tpu"]);
    assert!(!ok);
    assert!(stderr.contains("unknown device `tpu`: flex, ndarray, wgpu, wgpu:N, cuda or cuda:N"), "{stderr}");
}
