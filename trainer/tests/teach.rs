//! The page's Teach, run natively (`effilens::teach::TeachSession`, the code behind the page's
//! worker), against `trainer train --freeze-backbone --no-augment` from the same bundle, images,
//! seed and settings: the same head within float tolerance. Then the taught bundle is what the
//! trainer's other commands take: `eval` reads it and `train --pretrained` continues from it.

mod common;

use std::path::Path;

use burn::tensor::Device;
use effilens::Manifest;
use effilens::teach::{TeachEpoch, Part, Recipe, TeachSession};
use common::{path, trainer_ok};

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/logo");
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/sample/train");

/// Ten images of each sample class, under class names the base model does not know (so that
/// both start from a fresh classifier drawn from the seed).
fn small_folder(root: &Path) {
    for (from, to) in [("logo", "brand"), ("others", "plain")] {
        let dir = root.join(to);
        std::fs::create_dir_all(&dir).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(Path::new(SAMPLE).join(from)).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for source in names.iter().take(10) {
            std::fs::copy(source, dir.join(source.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(root.join("plain/notes.txt"), "not an image").unwrap();
}

fn read_bundle(dir: &Path) -> (Manifest, Vec<u8>) {
    let manifest = Manifest::parse(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    let weights = std::fs::read(dir.join(&manifest.weights.file)).unwrap();
    (manifest, weights)
}

/// The classifier's weight and bias of a bundle, flattened.
fn head(dir: &Path) -> Vec<f32> {
    let (manifest, weights) = read_bundle(dir);
    let model = manifest.load_model(&weights, &Device::flex()).unwrap();
    let mut values: Vec<f32> = model.classifier.weight.val().into_data().try_to_vec().unwrap();
    values.extend(model.classifier.bias.as_ref().unwrap().val().into_data().try_to_vec::<f32>().unwrap());
    values
}

/// The stem convolution's weights of a bundle, flattened: the first layer a backbone trains.
fn stem(dir: &Path) -> Vec<f32> {
    let (manifest, weights) = read_bundle(dir);
    let model = manifest.load_model(&weights, &Device::flex()).unwrap();
    model.stem.conv.weight.val().into_data().try_to_vec().unwrap()
}

/// The largest difference between two sets of weights, against the largest weight (at least 1).
fn relative_difference(ours: &[f32], theirs: &[f32]) -> f32 {
    assert_eq!(ours.len(), theirs.len());
    let worst = ours.iter().zip(theirs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    worst / theirs.iter().map(|v| v.abs()).fold(1.0f32, f32::max)
}

/// Held while a test trains in this process: the device's random generator (dropout,
/// drop-connect, a fresh classifier) is one for the process, and tests run side by side.
static DEVICE_GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What the page's worker does: images in path order, the split, features, epochs, the bundle.
fn teach_as_the_page_does(data: &Path, recipe: Recipe, out: &Path) -> Vec<TeachEpoch> {
    let _generator = DEVICE_GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (base, weights) = read_bundle(Path::new(BASE));
    let classes = vec!["brand".to_owned(), "plain".to_owned()];
    let epochs = recipe.epochs;
    let mut session = TeachSession::new(base, &weights, classes.clone(), recipe, Device::flex()).unwrap();
    let mut images: Vec<(String, usize)> = Vec::new();
    for (class, name) in classes.iter().enumerate() {
        for entry in std::fs::read_dir(data.join(name)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jpg") {
                images.push((path.to_string_lossy().into_owned(), class));
            }
        }
    }
    images.sort();
    let held_out = session.validation_share(&images.iter().map(|(_, class)| *class).collect::<Vec<_>>()).unwrap();
    let bytes: Vec<Vec<u8>> = images.iter().map(|(path, _)| std::fs::read(path).unwrap()).collect();
    for start in (0..images.len()).step_by(8) {
        let end = (start + 8).min(images.len());
        let batch: Vec<(&[u8], usize, bool)> = (start..end).map(|i| (bytes[i].as_slice(), images[i].1, held_out[i])).collect();
        let skipped = pollster::block_on(session.add_images(&batch)).unwrap();
        assert!(skipped.iter().all(Option::is_none), "{skipped:?}");
    }
    assert_eq!(session.counts(), (14, 6), "2.5 of each class rounds to 3");
    let mut history = Vec::new();
    while let Some(record) = session.next_epoch().unwrap() {
        history.push(record);
    }
    assert_eq!(history.len(), epochs);
    assert_eq!(session.validation_probabilities().len(), 6);
    let (manifest, weights) = session.bundle("taught").unwrap();
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(out.join("model.json"), manifest.to_json()).unwrap();
    std::fs::write(out.join(&manifest.weights.file), weights).unwrap();
    history
}

#[test]
fn the_page_and_the_trainer_teach_the_same_head_and_the_trainer_continues_from_it() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    small_folder(&data);
    let recipe = Recipe { epochs: 3, seed: 5, val_fraction: 0.25, lr: 0.05, ..Recipe::default() };
    let page = work.path().join("page-bundle");
    let history = teach_as_the_page_does(&data, recipe, &page);

    let checkpoints = work.path().join("checkpoints");
    let stdout = trainer_ok(&[
        "train", "--train-data", path(&data), "--pretrained", BASE, "--freeze-backbone", "--no-augment",
        "--epochs", "3", "--seed", "5", "--val-fraction", "0.25", "--lr", "0.05", "--checkpoint-dir", path(&checkpoints),
    ]);
    assert_eq!(stdout.matches("epoch ").count(), 3, "{stdout}");
    let cli = work.path().join("cli-bundle");
    trainer_ok(&["export", "--model", path(&checkpoints.join("best.ckpt")), "--out", path(&cli)]);

    // Every epoch the same, not only the kept one.
    let metrics: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(checkpoints.join("metrics.json")).unwrap()).unwrap();
    let epochs = metrics["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), history.len());
    for (page_epoch, cli_epoch) in history.iter().zip(epochs) {
        for (ours, key) in [(page_epoch.train_loss, "train_loss"), (page_epoch.val_loss, "val_loss"), (page_epoch.val_accuracy, "accuracy")] {
            let theirs = cli_epoch[key].as_f64().unwrap();
            assert!((ours - theirs).abs() <= 1e-5, "epoch {}: {key} {ours} in the page, {theirs} in the trainer", page_epoch.epoch);
        }
    }
    let (page_head, cli_head) = (head(&page), head(&cli));
    assert_eq!(page_head.len(), cli_head.len());
    let worst = page_head.iter().zip(&cli_head).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let scale = cli_head.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-4 * scale.max(1.0), "the heads differ by {worst} (largest weight {scale})");
    let (page_manifest, _) = read_bundle(&page);
    let (cli_manifest, _) = read_bundle(&cli);
    assert_eq!(page_manifest.classes, cli_manifest.classes);
    assert_eq!(page_manifest.metrics["accuracy"], cli_manifest.metrics["accuracy"], "the same validation figures");

    // The trainer's commands take the page's bundle.
    let eval = trainer_ok(&["eval", "--model", path(&page), "--data", path(&data), "--out", path(&work.path().join("predictions.txt"))]);
    assert!(eval.contains("accuracy"), "{eval}");
    let resumed = work.path().join("continued");
    let stderr_and_out = trainer_ok(&[
        "train", "--train-data", path(&data), "--pretrained", path(&page), "--epochs", "1", "--image-size", "64",
        "--checkpoint-dir", path(&resumed),
    ]);
    assert!(stderr_and_out.contains("epoch 1/1"), "{stderr_and_out}");
    assert!(resumed.join("best.ckpt").is_file());
}

/// The whole network, with the trainer's augmentations: the page's session and `trainer train`
/// take the same steps on the same augmented pixels (natively both on the same kernels).
#[test]
fn the_page_and_the_trainer_fine_tune_the_same_network() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    small_folder(&data);
    let recipe = Recipe { part: Part::Network, epochs: 2, batch_size: 8, seed: 3, val_fraction: 0.25, ..Recipe::default() };
    let page = work.path().join("page-bundle");
    let history = teach_as_the_page_does(&data, recipe, &page);

    let checkpoints = work.path().join("checkpoints");
    trainer_ok(&[
        "train", "--train-data", path(&data), "--pretrained", BASE, "--epochs", "2", "--batch-size", "8", "--seed", "3",
        "--val-fraction", "0.25", "--checkpoint-dir", path(&checkpoints),
    ]);
    let cli = work.path().join("cli-bundle");
    trainer_ok(&["export", "--model", path(&checkpoints.join("best.ckpt")), "--out", path(&cli)]);
    let metrics: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(checkpoints.join("metrics.json")).unwrap()).unwrap();
    for (page_epoch, cli_epoch) in history.iter().zip(metrics["epochs"].as_array().unwrap()) {
        for (ours, key) in [(page_epoch.train_loss, "train_loss"), (page_epoch.val_loss, "val_loss")] {
            let theirs = cli_epoch[key].as_f64().unwrap();
            assert!((ours - theirs).abs() <= 1e-4 * theirs.abs().max(1.0), "epoch {}: {key} {ours} in the page, {theirs} in the trainer", page_epoch.epoch);
        }
    }
    assert!(relative_difference(&head(&page), &head(&cli)) <= 1e-4, "the classifiers differ");
    assert!(relative_difference(&stem(&page), &stem(&cli)) <= 1e-4, "the stems differ");
    assert!(relative_difference(&stem(&page), &stem(Path::new(BASE))) > 1e-6, "the backbone trained");
    let (manifest, _) = read_bundle(&page);
    assert_eq!(manifest.training["settings"]["freeze_backbone"], false);
    assert_eq!(manifest.training["settings"]["no_augment"], false);
    assert!(manifest.source_weights.ends_with("fine-tuned"), "{}", manifest.source_weights);
}

#[test]
fn teach_refuses_what_cannot_become_a_bundle() {
    let _generator = DEVICE_GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (base, weights) = read_bundle(Path::new(BASE));
    let start = |classes: &[&str], recipe: Recipe| {
        TeachSession::new(base.clone(), &weights, classes.iter().map(|c| c.to_string()).collect(), recipe, Device::flex()).err()
    };
    assert_eq!(start(&["only"], Recipe::default()).unwrap(), "a classifier needs at least 2 classes, found 1");
    assert!(start(&["a", ".hidden"], Recipe::default()).unwrap().contains("cannot be a class"));
    assert!(start(&["a", "a"], Recipe::default()).unwrap().contains("appears twice"));
    assert!(start(&["a", "b"], Recipe { epochs: 0, ..Recipe::default() }).unwrap().contains("epochs"));
    let session = TeachSession::new(base.clone(), &weights, vec!["a".into(), "b".into()], Recipe::default(), Device::flex()).unwrap();
    assert_eq!(session.validation_share(&[0, 0, 0]).unwrap_err(), "class 'b' has no images (a class is a folder of images)");
}



#[test]
fn the_imagenet_weights_export_as_a_bundle_teach_can_start_from() {
    let work = tempfile::tempdir().unwrap();
    let bundle = work.path().join("imagenet-lite0");
    let stdout = trainer_ok(&["export", "--model", "lite0", "--out", path(&bundle), "--f16"]);
    assert!(stdout.contains("1000 classes"), "{stdout}");
    let (manifest, weights) = read_bundle(&bundle);
    assert_eq!((manifest.classes.len(), manifest.classes[0].as_str()), (1000, "tench"));
    let data = work.path().join("data");
    small_folder(&data);
    let recipe = Recipe { epochs: 1, ..Recipe::default() };
    let _generator = DEVICE_GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut session = TeachSession::new(manifest, &weights, vec!["brand".into(), "plain".into()], recipe, Device::flex()).unwrap();
    let images: Vec<Vec<u8>> = ["brand", "plain"]
        .iter()
        .flat_map(|class| std::fs::read_dir(data.join(class)).unwrap().map(|e| e.unwrap().path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jpg"))
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    let batch: Vec<(&[u8], usize, bool)> = images.iter().enumerate().map(|(i, bytes)| (bytes.as_slice(), i / 10, i % 5 == 0)).collect();
    pollster::block_on(session.add_images(&batch)).unwrap();
    assert!(session.next_epoch().unwrap().is_some());
    let (taught, _) = session.bundle("from imagenet").unwrap();
    assert!(taught.source_weights.contains("ImageNet"), "{}", taught.source_weights);
}
