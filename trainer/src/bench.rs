//! `trainer bench`: how fast the native pieces run — forward passes, fine-tuning steps and
//! `trainer eval` on a folder — on the default CPU backend, or on the device `--device` names.
//!
//! Every row is a median with its spread (min and max) over repeated runs after untimed warm-up
//! runs, so that one slow run (another process, a page fault) neither hides nor fakes a change.
//! The forward and fine-tune rows use random weights: speed does not depend on their values.
//! `cargo xtask bench` runs this next to the PyTorch reference (`tests/bench/torch_bench.py`,
//! whose rows carry the same ids and repetitions) and the browser.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use burn::tensor::{Device, Distribution, Tensor};
use effilens::{Arch, EfficientNetConfig};
use serde::Serialize;
use serde_json::json;

use crate::atomic_file::write_file_atomic;
use crate::dataset::ImageFolder;
use crate::device::DeviceChoice;
use crate::machine;
use crate::eval::classify_folder;
use effilens_evaluation::{Evaluation, ModelInfo};
use crate::model_source::{CheckpointOptions, load_classifier};
use crate::train;

/// The architectures of the forward and fine-tune rows.
const ARCHS: [Arch; 2] = [Arch::Lite0, Arch::B0];
/// Input resolution of the forward and fine-tune rows: both architectures' own.
const IMAGE_SIZE: usize = 224;
/// Batch of the throughput rows: `trainer train`'s default (and `trainer eval`'s).
const BATCH: usize = train::DEFAULT_BATCH_SIZE;
/// Classes of the fine-tune rows: a two-class task like the bundled logo detector.
const FINE_TUNE_CLASSES: usize = 2;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Also write the rows as JSON to this file (what `cargo xtask bench` reads).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Fewer repetitions: a quick look, not figures to keep.
    #[arg(long)]
    quick: bool,
    /// Model of the folder-evaluation row: a bundle directory or a training checkpoint. The row
    /// is skipped, and says so, when it does not exist.
    #[arg(long, default_value = "www/models/logo")]
    model: String,
    /// Labeled folder of the folder-evaluation row (DIR/<class>/<image>).
    #[arg(long, default_value = "data/sample/val")]
    data: PathBuf,
    /// Where the rows run: flex (CPU), ndarray, wgpu, wgpu:N or cuda:N (see `trainer train --help`).
    /// Repeat it to time several devices in one run, e.g. `--device flex --device wgpu`.
    #[arg(long, default_values_t = [DeviceChoice::Flex])]
    device: Vec<DeviceChoice>,
}

/// Untimed warm-up runs (allocations, caches, lazily prepared kernels), then timed runs.
#[derive(Clone, Copy)]
struct Repeats {
    warmup: usize,
    runs: usize,
}

/// Repetitions per kind of row. `tests/bench/torch_bench.py` uses the same numbers.
struct Plan {
    latency: Repeats,
    throughput: Repeats,
    fine_tune: Repeats,
    evaluation: Repeats,
}

impl Plan {
    fn new(quick: bool) -> Self {
        let repeats = |warmup, runs| Repeats { warmup, runs };
        if quick {
            Self { latency: repeats(2, 5), throughput: repeats(1, 3), fine_tune: repeats(1, 2), evaluation: repeats(1, 2) }
        } else {
            Self { latency: repeats(5, 30), throughput: repeats(2, 10), fine_tune: repeats(2, 6), evaluation: repeats(1, 5) }
        }
    }
}

#[derive(Clone, Copy, Serialize)]
enum Unit {
    #[serde(rename = "ms")]
    Milliseconds,
    #[serde(rename = "img/s")]
    ImagesPerSecond,
}

/// One measured figure. `id` is shared with the PyTorch rows, so the two can be compared.
#[derive(Serialize)]
struct Row {
    id: String,
    label: String,
    arch: Arch,
    /// The input size of the folder row's bundle, which the PyTorch row and the browser's ONNX
    /// reference then use too.
    #[serde(skip_serializing_if = "Option::is_none")]
    image_size: Option<usize>,
    unit: Unit,
    median: f64,
    min: f64,
    max: f64,
    runs: usize,
    warmup: usize,
}

impl Row {
    /// `seconds` of each timed run, turned into the unit: per-run latency, or `images` per second.
    fn new(id: String, label: String, arch: Arch, unit: Unit, repeats: Repeats, images: usize, seconds: &[f64]) -> Self {
        let mut values: Vec<f64> = seconds
            .iter()
            .map(|&s| match unit {
                Unit::Milliseconds => s * 1e3,
                Unit::ImagesPerSecond => images as f64 / s,
            })
            .collect();
        values.sort_by(f64::total_cmp);
        let middle = values.len() / 2;
        let median = if values.len() % 2 == 1 { values[middle] } else { (values[middle - 1] + values[middle]) / 2.0 };
        Self {
            id,
            label,
            arch,
            image_size: None,
            unit,
            median,
            min: values[0],
            max: values[values.len() - 1],
            runs: repeats.runs,
            warmup: repeats.warmup,
        }
    }

    fn print(&self) {
        let unit = match self.unit {
            Unit::Milliseconds => "ms",
            Unit::ImagesPerSecond => "img/s",
        };
        println!(
            "{:<78} {:>9.2} {unit:<5}  ({:.2}–{:.2}, {} runs)",
            self.label, self.median, self.min, self.max, self.runs
        );
    }
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let plan = Plan::new(args.quick);
    let targets = args.device.iter().map(|&choice| Ok((Target { choice }, choice.init()?))).collect::<Result<Vec<_>>>()?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (target, device) in &targets {
        rows.extend(device_rows(&args, &plan, target, device, &mut notes)?);
    }
    // A skipped row is skipped on every device: say so once.
    notes.dedup();
    for note in &notes {
        println!("{note}");
    }

    if let Some(path) = &args.json {
        let report = json!({
            "source": "effilens",
            "time": machine::now(),
            "machine": machine::describe(),
            "devices": args.device.iter().map(|device| device.to_string()).collect::<Vec<_>>(),
            "backend": targets.iter().map(|(target, _)| target.backend()).collect::<Vec<_>>().join(", "),
            "threads": rayon::current_num_threads(),
            "quick": args.quick,
            "rows": rows,
            "notes": notes,
        });
        write_file_atomic(path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a set of rows runs, and how its rows say so.
struct Target {
    choice: DeviceChoice,
}

impl Target {
    /// The rows of the default CPU backend keep plain ids and labels: those are the ones PyTorch's
    /// CPU rows pair with. Any other device's carry its name.
    fn label(&self, label: String) -> String {
        match self.choice {
            DeviceChoice::Flex => label,
            other => format!("{label}, {other}"),
        }
    }

    fn id(&self, id: String) -> String {
        match self.choice {
            DeviceChoice::Flex => id,
            other => format!("{id}@{other}"),
        }
    }

    fn backend(&self) -> String {
        match self.choice {
            DeviceChoice::Flex => "burn flex (CPU)".into(),
            other => format!("burn {other}"),
        }
    }
}

/// Every row, on one device.
fn device_rows(args: &BenchArgs, plan: &Plan, target: &Target, device: &Device, notes: &mut Vec<String>) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut push = |row: Row| {
        row.print();
        rows.push(row);
    };
    for arch in ARCHS {
        for (batch, repeats, unit) in
            [(1, plan.latency, Unit::Milliseconds), (BATCH, plan.throughput, Unit::ImagesPerSecond)]
        {
            let label = target.label(format!("forward, {arch} {IMAGE_SIZE}², batch {batch}"));
            eprintln!("timing {label}…");
            let seconds = forward(arch, batch, repeats, device)?;
            let id = target.id(format!("forward/{arch}/batch-{batch}"));
            push(Row::new(id, label, arch, unit, repeats, batch, &seconds));
        }
    }
    for arch in ARCHS {
        for (frozen, name, what) in [(false, "full", "full network"), (true, "frozen-backbone", "--freeze-backbone")] {
            let label = target.label(format!("fine-tune step, {arch} {IMAGE_SIZE}², batch {BATCH}, {what}"));
            eprintln!("timing {label}…");
            let seconds = fine_tune(arch, frozen, plan.fine_tune, device)?;
            let id = target.id(format!("fine-tune/{arch}/{name}"));
            push(Row::new(id, label, arch, Unit::ImagesPerSecond, plan.fine_tune, BATCH, &seconds));
        }
    }
    if !Path::new(&args.model).exists() {
        notes.push(format!("trainer eval row skipped: no model at {} (a bundle or a checkpoint; --model)", args.model));
    } else if !args.data.is_dir() {
        notes.push(format!("trainer eval row skipped: no folder {} (--data)", args.data.display()));
    } else {
        eprintln!("timing trainer eval on {}…", args.data.display());
        push(folder_evaluation(&args.model, &args.data, plan.evaluation, target, device)?);
    }
    Ok(rows)
}

/// Seconds of each timed run of `run`, after the warm-up runs.
fn time_runs(repeats: Repeats, mut run: impl FnMut() -> Result<()>) -> Result<Vec<f64>> {
    for _ in 0..repeats.warmup {
        run()?;
    }
    (0..repeats.runs)
        .map(|_| {
            let started = Instant::now();
            run()?;
            Ok(started.elapsed().as_secs_f64())
        })
        .collect()
}

/// Inference on a random batch, read back so that the whole network has run.
fn forward(arch: Arch, batch: usize, repeats: Repeats, device: &Device) -> Result<Vec<f64>> {
    // Batch norms folded, as `trainer predict`/`eval` and the browser run it.
    let model = EfficientNetConfig::from_arch(arch).init(device).fold_batch_norms();
    let input = Tensor::<4>::random([batch, 3, IMAGE_SIZE, IMAGE_SIZE], Distribution::Normal(0.0, 1.0), device);
    time_runs(repeats, || {
        model.forward(input.clone()).into_data();
        Ok(())
    })
}

/// `trainer train`'s optimisation step (its optimizer, loss and freezing, at their defaults) on a
/// random batch held in memory: what a step costs, without decoding and augmentation.
fn fine_tune(arch: Arch, frozen: bool, repeats: Repeats, device: &Device) -> Result<Vec<f64>> {
    let device = device.clone().autodiff();
    device.seed(0);
    let model = EfficientNetConfig::from_arch(arch).with_num_classes(FINE_TUNE_CLASSES).init(&device);
    let mut model = Some(if frozen { model.freeze_backbone() } else { model });
    let mut optimizer = train::sgd(train::DEFAULT_MOMENTUM, train::DEFAULT_WEIGHT_DECAY);
    let loss = train::training_loss(train::DEFAULT_LABEL_SMOOTHING, None, &device);
    let inputs = Tensor::<4>::random([BATCH, 3, IMAGE_SIZE, IMAGE_SIZE], Distribution::Normal(0.0, 1.0), &device);
    let targets = train::class_tensor((0..BATCH).map(|index| index % FINE_TUNE_CLASSES), &device);
    time_runs(repeats, || {
        // The step consumes the model and hands back the updated one.
        let current = model.take().expect("every step puts the model back");
        let (updated, value) =
            train::training_step(current, &mut optimizer, &loss, inputs.clone(), targets.clone(), train::DEFAULT_LR);
        model = Some(updated);
        ensure!(value.is_finite(), "the fine-tune step's loss became {value}");
        Ok(())
    })
}

/// What `trainer eval` does once the model is loaded: scan the folder, read, decode, resize and
/// classify every image, in its batches and with its decoding threads.
fn folder_evaluation(model: &str, data: &Path, repeats: Repeats, target: &Target, device: &Device) -> Result<Row> {
    let options = CheckpointOptions { arch: None, advprop: false };
    let classifier = load_classifier(model, &options, device)?;
    let classes = classifier.classes().to_vec();
    let mut images = 0;
    let seconds = time_runs(repeats, || {
        let folder = ImageFolder::scan(data, Some(&classes))?;
        let mut evaluation = Evaluation::new(ModelInfo::default(), classes.clone(), data.to_string_lossy());
        classify_folder(&classifier, &folder, BATCH, &mut evaluation)?;
        images = evaluation.predictions.len();
        Ok(())
    })
    .with_context(|| format!("trainer eval of {model} on {}", data.display()))?;
    if images == 0 {
        bail!("{}: no readable images of the model's classes ({})", data.display(), classes.join(", "));
    }
    let arch = classifier.manifest().arch;
    let label = target.label(format!(
        "trainer eval, {model} ({arch}) on {}: {images} images, decode and resize included",
        data.display()
    ));
    let row = Row::new(target.id("eval/folder".into()), label, arch, Unit::ImagesPerSecond, repeats, images, &seconds);
    Ok(Row { image_size: Some(classifier.manifest().image_size), ..row })
}
