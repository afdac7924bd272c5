//! Shared by the trainer's CLI tests: running the real binary and making small data sets.
// Each test crate includes this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{Rgb, RgbImage};

/// Runs `trainer` with `args`; returns (success, stdout, stderr).
pub fn trainer(args: &[&str]) -> (bool, String, String) {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_trainer")).args(args).output().expect("trainer runs");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Runs a command expected to fail, and returns its one `error:` line.
pub fn error_line(args: &[&str]) -> String {
    let (ok, stdout, stderr) = trainer(args);
    assert!(!ok, "trainer {args:?} should have failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line, got:\n{stderr}");
    errors[0].to_owned()
}

/// Like [`trainer`], but fails the test with both streams unless the run succeeds.
pub fn trainer_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = trainer(args);
    assert!(ok, "trainer {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    stdout
}

/// A tiny, easily separable two-class set: "logo" images carry a red square badge in a corner,
/// "others" do not; backgrounds are seeded noise. Writes `<dir>/<class>/<n>.png`.
pub fn write_badge_dataset(dir: &Path, per_class: usize, seed: u32) {
    for (class, badge) in [("logo", true), ("others", false)] {
        std::fs::create_dir_all(dir.join(class)).unwrap();
        for index in 0..per_class {
            let mut state = seed.wrapping_mul(7919).wrapping_add(index as u32 * 104_729 + u32::from(badge));
            let mut noise = move || {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 160) as u8 + 40
            };
            let mut image = RgbImage::from_fn(72, 96, |_, _| {
                let grey = noise();
                Rgb([grey, grey, grey / 2 + 60])
            });
            if badge {
                let corner = index % 4;
                let (x0, y0) = ((corner % 2) as u32 * 48 + 4, (corner / 2) as u32 * 72 + 4);
                for y in y0..y0 + 20 {
                    for x in x0..x0 + 20 {
                        image.put_pixel(x, y, Rgb([230, 20, 30]));
                    }
                }
            }
            image.save(dir.join(class).join(format!("{index:02}.png"))).unwrap();
        }
    }
}

/// `work/train` and `work/val` badge data sets with the given images per class (seeds `seed` and
/// `seed + 1`, so the two never share an image).
pub fn badge_split(work: &Path, train_per_class: usize, val_per_class: usize, seed: u32) -> (PathBuf, PathBuf) {
    let (train, val) = (work.join("train"), work.join("val"));
    write_badge_dataset(&train, train_per_class, seed);
    write_badge_dataset(&val, val_per_class, seed + 1);
    (train, val)
}

pub fn path(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
