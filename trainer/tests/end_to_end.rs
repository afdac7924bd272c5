//! The trainer through its real command line: train → checkpoint → resume → eval → export →
//! predict, on a tiny generated data set at 64 px.

mod common;

use std::path::Path;

use common::{badge_split, path, trainer_ok};
use serde_json::Value;

/// Reduced but real: Lite0 from its ImageNet weights, 64 px, batches of 4.
fn train_args<'a>(train: &'a str, val: &'a str, checkpoints: &'a str, epochs: &'a str) -> Vec<&'a str> {
    vec![
        "train", "--train-data", train, "--val-data", val, "--checkpoint-dir", checkpoints, "--epochs", epochs,
        "--arch", "efficientnet-lite0", "--pretrained", "lite0", "--image-size", "64", "--batch-size", "4",
        "--schedule", "constant", "--warmup-epochs", "0", "--lr", "0.02", "--seed", "7", "--workers", "2",
    ]
}

fn read_json(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn train_resume_eval_export_predict() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 6, 3, 1);
    let (train, val) = (path(&train), path(&val));

    // Two epochs, then resume to a third.
    let resumed_dir = work.path().join("resumed");
    let stdout = trainer_ok(&train_args(train, val, path(&resumed_dir), "2"));
    assert!(stdout.contains("epoch 1/2") && stdout.contains("epoch 2/2"), "{stdout}");
    let last = resumed_dir.join("last.ckpt");
    for file in ["last.ckpt", "best.ckpt", "epoch-001.ckpt", "epoch-002.ckpt", "metrics.csv", "metrics.json"] {
        assert!(resumed_dir.join(file).is_file(), "{file} missing");
    }
    let mut resume = train_args(train, val, path(&resumed_dir), "3");
    resume.extend(["--resume", path(&last)]);
    let stdout = trainer_ok(&resume);
    assert!(stdout.contains("epoch 3/3") && !stdout.contains("epoch 1/3"), "{stdout}");

    // The same three epochs without a break end in the same place.
    let straight_dir = work.path().join("straight");
    trainer_ok(&train_args(train, val, path(&straight_dir), "3"));
    let resumed_metrics = read_json(&resumed_dir.join("metrics.json"));
    let straight_metrics = read_json(&straight_dir.join("metrics.json"));
    let figures = |metrics: &Value| -> Vec<(f64, f64, f64)> {
        metrics["epochs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["train_loss"].as_f64().unwrap(), e["val_loss"].as_f64().unwrap(), e["accuracy"].as_f64().unwrap()))
            .collect()
    };
    assert_eq!(figures(&resumed_metrics).len(), 3);
    assert_eq!(figures(&resumed_metrics), figures(&straight_metrics), "resuming changed the run");

    let csv = std::fs::read_to_string(resumed_dir.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "epoch,learning_rate,train_loss,val_loss,accuracy,macro_f1,precision_logo,recall_logo,precision_others,recall_others,images_per_second,seconds"
    );
    assert_eq!(lines.count(), 3);

    // Evaluate: the report, and predictions.txt in the seed recipe's format, in a folder that
    // --out makes.
    let predictions = work.path().join("reports/val/predictions.txt");
    let report = trainer_ok(&["eval", "--model", path(&last), "--data", val, "--out", path(&predictions)]);
    assert!(report.contains("precision") && report.contains("accuracy"), "{report}");
    let text = std::fs::read_to_string(&predictions).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);
    let mut previous = String::new();
    for line in &lines {
        let fields: Vec<&str> = line.splitn(7, ' ').collect();
        assert_eq!(fields.len(), 7, "{line}");
        let probabilities: Vec<f64> = fields[..2].iter().map(|p| p.parse().unwrap()).collect();
        assert!(fields[..2].iter().all(|p| p.len() == 7 && p.as_bytes()[1] == b'.'), "5 decimals: {line}");
        assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 2e-5, "{line}");
        let truth = if fields[6].contains("/logo/") { ["1", "0"] } else { ["0", "1"] };
        assert_eq!(fields[2..4], truth, "{line}");
        assert!(fields[4..6] == ["1", "0"] || fields[4..6] == ["0", "1"], "{line}");
        assert!(fields[6].starts_with(val), "{line}");
        assert!(fields[6] > previous.as_str(), "sorted by path");
        previous = fields[6].to_owned();
    }
    let report_json = read_json(&predictions.with_extension("json"));
    assert_eq!(report_json["predictions"].as_array().unwrap().len(), 6);
    assert_eq!(report_json["classes"], serde_json::json!(["logo", "others"]));
    assert_eq!(report_json["format"], "effilens-evaluation");

    // Export a bundle and classify with it.
    let bundle = work.path().join("bundle");
    let stdout = trainer_ok(&["export", "--model", path(&resumed_dir.join("best.ckpt")), "--out", path(&bundle), "--f16"]);
    assert!(stdout.contains("exported"), "{stdout}");
    let manifest = read_json(&bundle.join("model.json"));
    assert_eq!(manifest["format_version"], 1);
    assert_eq!(manifest["arch"], "efficientnet-lite0");
    assert_eq!(manifest["classes"], serde_json::json!(["logo", "others"]));
    assert_eq!(manifest["image_size"], 64);
    assert_eq!(manifest["normalization"], "lite");
    assert_eq!(manifest["weights"]["dtype"], "f16");
    let weights = std::fs::read(bundle.join(manifest["weights"]["file"].as_str().unwrap())).unwrap();
    assert_eq!(manifest["weights"]["bytes"], weights.len());
    assert_eq!(manifest["weights"]["sha256"], effilens::bundle::sha256_hex(&weights));
    assert!(manifest["metrics"]["accuracy"].is_number());
    assert!(manifest["metrics"]["per_class"]["logo"]["recall"].is_number());

    let image = format!("{val}/logo/00.png");
    let stdout = trainer_ok(&["predict", "--weights", path(&bundle), "--top-k", "2", &image]);
    assert!(stdout.starts_with(&image) && stdout.contains("logo") && stdout.contains("others"), "{stdout}");
}

#[test]
fn an_easily_separable_set_is_learned() {
    // Batches of 8 at a gentler rate: 24 steps in all. Full fine-tuning of 32 images is noisy:
    // from the classifier that seed 7 draws it stays at 62.5 % after six epochs; seeds 1 to 5
    // all reach 100 %.
    assert_learns_the_separable_set(&["--batch-size", "8", "--lr", "0.01", "--seed", "1"]);
}

/// Only the classifier learns, on ImageNet features that the frozen backbone computes as at
/// inference.
#[test]
fn a_frozen_backbone_learns_the_separable_set() {
    // A linear probe on ImageNet features: at the other tests' rate its loss swings from epoch
    // to epoch (with burn's operations in the backbone as well as with the inference path).
    assert_learns_the_separable_set(&["--batch-size", "8", "--lr", "0.002", "--freeze-backbone"]);
}

/// Six epochs on 16 badge images per class, with `extra` arguments, reach [`assert_learned`].
fn assert_learns_the_separable_set(extra: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 16, 4, 3);
    let checkpoints = work.path().join("checkpoints");
    let mut args = train_args(path(&train), path(&val), path(&checkpoints), "6");
    args.extend(extra);
    assert_learned(&checkpoints, &trainer_ok(&args));
}

/// The run's training loss fell and its validation accuracy reached 100 % (metrics.json).
fn assert_learned(checkpoints: &Path, log: &str) {
    let metrics = read_json(&checkpoints.join("metrics.json"));
    let epochs = metrics["epochs"].as_array().unwrap();
    let first = epochs.first().unwrap()["train_loss"].as_f64().unwrap();
    let last = epochs.last().unwrap()["train_loss"].as_f64().unwrap();
    assert!(last < first, "training loss did not fall: {first} → {last}\n{log}");
    let best = epochs.iter().map(|e| e["accuracy"].as_f64().unwrap()).fold(0.0, f64::max);
    assert_eq!(best, 1.0, "validation accuracy never reached 100 %\n{log}");
}

/// `--device flex,flex`: burn-train's multi-device step with two workers on the CPU, the path
/// that `--device wgpu:0,wgpu:1` takes on two GPUs. It learns the easy set, it is reproducible,
/// and its checkpoint resumes on one device.
///
/// Each worker's batch norms see only its shard. Both workers draw their dropout masks from
/// flex's one random generator; their forward passes take turns (src/data_parallel.rs), so a
/// second run repeats the first one's epochs exactly. That each step is the right step is checked
/// by the unit test in src/data_parallel.rs.
#[test]
fn data_parallel_training_learns_and_resumes_on_one_device() {
    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 16, 4, 3);
    let checkpoints = work.path().join("checkpoints");
    let mut args = train_args(path(&train), path(&val), path(&checkpoints), "10");
    // Seed 7, the other runs', stays at 50–75 % with shards of 8; seeds 1, 2 and 3 reach 100 %.
    let parallel = ["--batch-size", "16", "--lr", "0.01", "--device", "flex,flex", "--seed", "1"];
    args.extend(parallel);
    assert_learned(&checkpoints, &trainer_ok(&args));

    // The schedule is constant, so two epochs of a second run are the first run's first two.
    let again = work.path().join("again");
    let log = trainer_ok(&[&train_args(path(&train), path(&val), path(&again), "2")[..], &parallel].concat());
    let epochs = |dir: &Path| read_json(&dir.join("metrics.json"))["epochs"].as_array().unwrap()[..2].to_vec();
    let figures = |epochs: Vec<Value>| {
        epochs.iter().map(|e| [&e["train_loss"], &e["val_loss"], &e["accuracy"]].map(|v| v.as_f64().unwrap())).collect::<Vec<_>>()
    };
    assert_eq!(figures(epochs(&again)), figures(epochs(&checkpoints)), "two runs differ\n{log}");

    let last_checkpoint = checkpoints.join("last.ckpt");
    let (train, val, dir) = (path(&train), path(&val), path(&checkpoints));
    let resume = ["--resume", path(&last_checkpoint), "--device", "flex"];
    let log = trainer_ok(&[&train_args(train, val, dir, "11")[..], &resume].concat());
    let epochs = read_json(&checkpoints.join("metrics.json"))["epochs"].as_array().unwrap().len();
    assert_eq!(epochs, 11, "the resumed run did not add its epoch\n{log}");
}

#[test]
fn ctrl_c_saves_and_resuming_finishes_the_run() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let work = tempfile::tempdir().unwrap();
    let (train, val) = badge_split(work.path(), 6, 3, 5);
    let checkpoints = work.path().join("checkpoints");
    let args = train_args(path(&train), path(&val), path(&checkpoints), "3");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trainer")).args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("epoch 1/3"), "{line}");
    // Interrupt during the second epoch.
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: saved"), "{stderr}");

    let last = checkpoints.join("last.ckpt");
    let mut resume = args.clone();
    resume.extend(["--resume", path(&last)]);
    let stdout = trainer_ok(&resume);
    assert!(stdout.contains("epoch 3/3"), "{stdout}");
    let metrics = read_json(&checkpoints.join("metrics.json"));
    assert_eq!(metrics["epochs"].as_array().unwrap().len(), 3);
}

#[test]
fn predict_names_imagenet_classes_with_the_cached_weights() {
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/photos/chelsea.jpg");
    let stdout = trainer_ok(&["predict", "--weights", "lite0", "--top-k", "3", photo]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[1].ends_with("Egyptian cat") || lines[1].contains("cat"), "{stdout}");
}
