//! `cargo xtask bench`: every benchmark in one command, one table.
//!
//! 1. Native rows: `trainer bench` (release build) — forward, fine-tune and `trainer eval`.
//! 2. The same rows for PyTorch (`tests/bench/torch_bench.py`) where a Python with torch and
//!    efficientnet_pytorch is found; where none is, the run says so and goes on. It also exports
//!    the bundle's architecture as ONNX for step 3.
//! 3. Browser rows: `tests/page/bench.mjs`, the page in headless Chromium through the page
//!    tests' harness, against the dev server; ONNX Runtime Web on that export as the reference
//!    of the forward-pass rows, where there is one.
//!    Teach in the page has the native trainer making the same bundle as its reference
//!    (teach.rs).
//! 4. Training: the bundled model's recipe on the committed data/sample/train, timed (full runs
//!    only; training.rs).
//! 5. Sizes: the wasm builds raw and gzipped, the logo bundle in f32 and f16.
//! 6. Quality: the bundled model's accuracy, precision, recall and the pointing game of its class
//!    maps on the sample's held-out splits (quality.rs); `--quality` measures only these.
//! 7. The first start: `cargo xtask serve` on a fresh clone until the page answers and predicts
//!    (full runs only; first_start.rs); `--first-start` measures only these.
//!
//! Between the steps it times a cache line's round trip between two cores, which tells in which
//! state a virtual machine whose cores sometimes share no cache ran each step (core_latency.rs).
//!
//! The results go to `docs/benchmarks/<date and time>.json`, and `docs/BENCHMARKS.md` is rewritten from
//! that file and the newest earlier one, so the page holds today's table and the previous one.
//! GPU rows come from machines with a GPU, where `trainer bench --device flex --device wgpu` writes
//! its JSON to `docs/benchmarks/gpu/<date and time>.json`; the page shows the newest such record.
//! `--render` rewrites the page from the records alone.

mod core_latency;
mod first_start;
mod quality;
mod report;
mod sizes;
mod teach;
mod training;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use crate::command::{execute, json_output, output};
use crate::setup;
use crate::web_build::{self, BuildArgs};
use report::Run;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Fewer repetitions and the quick (dev profile, no wasm-opt) web build: a look at the
    /// figures, not figures to keep.
    #[arg(long)]
    quick: bool,
    /// Measure nothing: rewrite docs/BENCHMARKS.md from the records in docs/benchmarks/ (after
    /// adding a GPU record, say).
    #[arg(long, conflicts_with = "quick")]
    render: bool,
    /// Measure only the bundled model's quality (no timing affects it) into
    /// docs/benchmarks/quality/<date and time>.json and rewrite the page: for a retrained model,
    /// without the hour the timings take. A full run measures it too.
    #[arg(long, conflicts_with_all = ["quick", "render"])]
    quality: bool,
    /// Measure only the first start (`cargo xtask serve` on a fresh clone of this checkout's
    /// commit, minutes) into docs/benchmarks/first-start/<date and time>.json and rewrite the page.
    #[arg(long, conflicts_with_all = ["quick", "render", "quality"])]
    first_start: bool,
    /// Measure only Teach: the page's rows (head only, the whole network for an epoch, 2,000
    /// images) beside the native trainer's with the same settings, minutes instead of the hour,
    /// into docs/benchmarks/teach/<date and time>.json, and rewrite the page.
    #[arg(long, conflicts_with_all = ["quick", "render", "quality", "first_start"])]
    teach: bool,
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let root = crate::root();
    let history = root.join("docs/benchmarks");
    if args.render {
        return render_page(&root, &history);
    }
    if args.quality {
        return quality_only(&root, &history);
    }
    if args.first_start {
        return first_start_only(&root, &history);
    }
    if args.teach {
        return teach_only(&root, &history);
    }
    setup::web_toolchain()?;
    setup::chromium()?;
    // The timed training starts from the Lite0 ImageNet weights.
    setup::imagenet_weights()?;
    let work = crate::target_dir().join("bench");
    std::fs::create_dir_all(&work)?;

    execute(Command::new("cargo").args(["build", "--release", "--package", "trainer"]))?;
    let trainer = crate::target_dir().join("release/trainer");
    let wasm_profile = if args.quick { "dev" } else { "wasm-release" };
    web_build::run(&BuildArgs { profile: wasm_profile.into(), no_opt: args.quick })?;

    // Taken between the steps: which state the machine was in during each (core_latency.rs).
    let mut core_round_trips = Vec::new();
    let mut note_round_trip = |when: &str| {
        if let Some(ns) = core_latency::round_trip_ns() {
            core_round_trips.push((when.to_owned(), ns));
        }
    };
    note_round_trip("before the native rows");
    let native = native(&trainer, &work, args.quick)?;
    note_round_trip("before PyTorch's");
    let mut notes = Vec::new();
    // What the browser rows' page serves at /bench/ besides itself; the ONNX model is the PyTorch
    // step's, where it can make one: a stale export must not stand in for a missing one.
    let site = work.join("site");
    if site.exists() {
        std::fs::remove_dir_all(&site)?;
    }
    std::fs::create_dir_all(&site)?;
    std::fs::copy(root.join("tests/page/bench-forward-worker.js"), site.join("forward-worker.js"))?;
    let pytorch = match pytorch(&native, args.quick, &site.join("model.onnx")) {
        Ok(pytorch) => Some(pytorch),
        Err(why) => {
            eprintln!("{why}");
            notes.push(why);
            None
        }
    };
    note_round_trip("before the browser rows");
    let browser = browser(if args.quick { &["--quick"] } else { &[] }, &site)?;
    note_round_trip("after them");
    let teach_reference = teach::measure(&trainer, &work, args.quick)?;
    let quality = quality::measure(&trainer, &work)?;
    let training = if args.quick {
        notes.push("quick run: the bundled model's training was not timed".to_owned());
        None
    } else {
        Some(training::measure(&trainer, &work)?)
    };
    // Last: it builds in a clone of its own, and nothing else runs beside it.
    let first_start = if args.quick {
        notes.push("quick run: the first start was not timed".to_owned());
        Vec::new()
    } else {
        first_start::measure(&work)?
    };
    let checkpoint = training.as_ref().map(|training| training.best_checkpoint.as_path());
    let (sizes, size_notes) = sizes::measure(&trainer, &work, wasm_profile, checkpoint)?;
    notes.extend(size_notes);
    let mut training_rows = Vec::new();
    if let Some(training) = training {
        training_rows = training.rows;
        notes.push(training.note);
    }

    let mut versions = Map::new();
    for (name, program) in [("rustc", "rustc"), ("node", "node")] {
        if let Some(version) = output(Command::new(program).arg("--version")) {
            versions.insert(name.into(), json!(version.trim_start_matches(&format!("{program} "))));
        }
    }
    let run = Run {
        // When and where the native rows were measured; the rest of the run follows them.
        time: native["time"].as_str().unwrap_or_default().to_owned(),
        machine: native["machine"].clone(),
        quick: args.quick,
        wasm_profile: wasm_profile.into(),
        versions,
        native,
        pytorch,
        browser,
        teach_reference,
        training: training_rows,
        quality,
        first_start,
        sizes,
        core_round_trips,
        notes,
    }
    .into_json();

    std::fs::create_dir_all(&history)?;
    // Named by the run's UTC time, so that an earlier run of the same day is still the previous.
    let stem = run["time"].as_str().unwrap_or_default().replace(':', "-");
    let previous = previous_run(&history, &stem)?;
    println!("\n{}", report::run_section(&run, previous.as_ref()));
    let record = history.join(format!("{stem}.json"));
    std::fs::write(&record, serde_json::to_string_pretty(&run)? + "\n")
        .with_context(|| format!("cannot write {}", record.display()))?;
    println!("wrote {}", record.display());
    write_page(&root, &run, previous.as_ref())
}

/// `cargo xtask bench --quality`: the quality rows alone, recorded with the bundle they measured.
fn quality_only(root: &Path, history: &Path) -> Result<()> {
    execute(Command::new("cargo").args(["build", "--release", "--package", "trainer"]))?;
    let trainer = crate::target_dir().join("release/trainer");
    let work = crate::target_dir().join("bench");
    std::fs::create_dir_all(&work)?;
    let rows = quality::measure(&trainer, &work)?;
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(root.join("www/models/logo/model.json"))?)?;
    partial_record(root, &history.join("quality"), json!({ "weights_sha256": manifest["weights"]["sha256"], "rows": rows }))
}

/// `cargo xtask bench --first-start`: the first-start rows alone, recorded with the commit they
/// measured (the clone's).
fn first_start_only(root: &Path, history: &Path) -> Result<()> {
    let work = crate::target_dir().join("bench");
    std::fs::create_dir_all(&work)?;
    let commit = output(Command::new("git").args(["rev-parse", "--short", "HEAD"])).context("cannot read the commit (git rev-parse)")?;
    let rows = first_start::measure(&work)?;
    partial_record(root, &history.join("first-start"), json!({ "commit": commit, "rows": rows }))
}

fn teach_only(root: &Path, history: &Path) -> Result<()> {
    setup::web_toolchain()?;
    setup::chromium()?;
    let work = crate::target_dir().join("bench");
    std::fs::create_dir_all(&work)?;
    let commit = output(Command::new("git").args(["rev-parse", "--short", "HEAD"])).context("cannot read the commit (git rev-parse)")?;
    execute(Command::new("cargo").args(["build", "--release", "--package", "trainer"]))?;
    let trainer = crate::target_dir().join("release/trainer");
    web_build::run(&BuildArgs { profile: "wasm-release".into(), no_opt: false })?;
    let site = work.join("site");
    std::fs::create_dir_all(&site)?;
    let browser = browser(&["--teach"], &site)?;
    let references = teach::measure(&trainer, &work, false)?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    partial_record(root, &history.join("teach"), json!({ "commit": commit, "cores": cores, "rows": report::teach_rows(&browser, &references) }))
}

/// Writes `record`, stamped with the time, into `folder`/<time>.json, and rewrites the page.
fn partial_record(root: &Path, folder: &Path, mut record: Value) -> Result<()> {
    let time = output(Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])).context("cannot read the time (date -u)")?;
    record["time"] = json!(time);
    std::fs::create_dir_all(folder)?;
    let path = folder.join(format!("{}.json", time.replace(':', "-")));
    std::fs::write(&path, serde_json::to_string_pretty(&record)? + "\n").with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    render_page(root, &root.join("docs/benchmarks"))
}

/// The page from the records alone: the newest run and the one before it.
fn render_page(root: &Path, history: &Path) -> Result<()> {
    let latest = previous_run(history, "~")?.context("no run recorded in docs/benchmarks/ to render")?;
    let stem = latest["time"].as_str().unwrap_or_default().replace(':', "-");
    write_page(root, &latest, previous_run(history, &stem)?.as_ref())
}

/// `docs/BENCHMARKS.md` from the latest run, the one before it and the newest partial records.
fn write_page(root: &Path, latest: &Value, previous: Option<&Value>) -> Result<()> {
    let gpu = previous_run(&root.join("docs/benchmarks/gpu"), "~")?;
    let quality = previous_run(&root.join("docs/benchmarks/quality"), "~")?;
    let first_start = previous_run(&root.join("docs/benchmarks/first-start"), "~")?;
    let teach = previous_run(&root.join("docs/benchmarks/teach"), "~")?;
    let records = report::Records { gpu: gpu.as_ref(), quality: quality.as_ref(), first_start: first_start.as_ref(), teach: teach.as_ref() };
    let page = root.join("docs/BENCHMARKS.md");
    std::fs::write(&page, report::page(latest, previous, records))
        .with_context(|| format!("cannot write {}", page.display()))?;
    println!("wrote {}", page.display());
    Ok(())
}

/// `trainer bench`'s rows.
fn native(trainer: &Path, work: &Path, quick: bool) -> Result<Value> {
    let json = work.join("native.json");
    execute(Command::new(trainer).args(["bench", "--json"]).arg(&json).args(quick.then_some("--quick")))?;
    let text = std::fs::read_to_string(&json).with_context(|| format!("cannot read {}", json.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", json.display()))
}

/// glibc's malloc told to keep what PyTorch frees, as the trainer's mimalloc keeps what it frees
/// (trainer/src/allocator.rs): no block is mmapped on its own and the heap is never trimmed.
/// With glibc's defaults PyTorch's batch-16 forward pass ran at about half the speed, faulting
/// its activations' pages back in at every batch, and which rows suffered depended on what ran
/// before them in the process (docs/PERFORMANCE.md, 12.).
const KEEP_FREED_MEMORY: &str = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184";

/// The PyTorch rows, or why there are none. Torch gets as many threads as the native side had,
/// and the folder row the architecture and input size of the bundle `trainer bench` evaluated,
/// which it also exports to `onnx_model` for the browser rows' reference.
fn pytorch(native: &Value, quick: bool, onnx_model: &Path) -> Result<Value, String> {
    let python = torch_python().ok_or_else(|| {
        "PyTorch rows not measured: no Python with torch and efficientnet_pytorch \
         (tried $EFFILENS_TORCH_PYTHON, then python3)"
            .to_owned()
    })?;
    let mut command = Command::new(python);
    command.args(["tests/bench/torch_bench.py", "--threads", &native["threads"].to_string()]);
    command.env("GLIBC_TUNABLES", KEEP_FREED_MEMORY);
    let rows = native["rows"].as_array().into_iter().flatten();
    if let Some(row) = rows.filter(|row| row["id"] == "eval/folder").find(|row| row["arch"].is_string()) {
        command.args(["--eval-arch", row["arch"].as_str().expect("checked"), "--export-onnx"]).arg(onnx_model);
        if let Some(size) = row["image_size"].as_u64() {
            command.args(["--eval-image-size", &size.to_string()]);
        }
    }
    command.args(quick.then_some("--quick"));
    json_output(&mut command).map_err(|error| format!("PyTorch rows not measured: {error:#}"))
}

/// The first Python that imports torch and efficientnet_pytorch: `$EFFILENS_TORCH_PYTHON`,
/// then `python3`.
fn torch_python() -> Option<OsString> {
    std::env::var_os("EFFILENS_TORCH_PYTHON")
        .into_iter()
        .chain([OsString::from("python3")])
        .find(|python| output(Command::new(python).args(["-c", "import torch, efficientnet_pytorch"])).is_some())
}

/// The browser rows, against the page served as `cargo xtask serve` serves it, and `site` at
/// /bench/ (the forward-pass worker and the ONNX model) with onnxruntime-web's files at
/// /bench/ort/ where `npm ci` installed it. Served, not routed by Playwright: ONNX Runtime Web's
/// thread workers never start while Playwright intercepts requests.
fn browser(options: &[&str], site: &Path) -> Result<Value> {
    let mut mounts = Vec::new();
    let onnx_runtime = crate::root().join("node_modules/onnxruntime-web/dist");
    if onnx_runtime.is_dir() {
        mounts.push(("bench/ort".to_owned(), onnx_runtime));
    }
    mounts.push(("bench".to_owned(), site.to_owned()));
    let (url, _server) = crate::serve::spawn_with(0, mounts)?;
    json_output(Command::new("node")
        .arg("tests/page/bench.mjs")
        .args(options)
        .env("EFFILENS_URL", url)
        .env("EFFILENS_ROOT", crate::root()))
}

/// The newest run recorded in `history` before `stem` (files are named by date, or date and time,
/// so they sort by name; `~` sorts after them all). None where the folder does not exist.
fn previous_run(history: &Path, stem: &str) -> Result<Option<Value>> {
    if !history.is_dir() {
        return Ok(None);
    }
    let mut earlier: Vec<PathBuf> = std::fs::read_dir(history)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter(|path| path.file_stem().and_then(|file_stem| file_stem.to_str()).is_some_and(|name| name < stem))
        .collect();
    earlier.sort();
    let Some(newest) = earlier.pop() else { return Ok(None) };
    let text = std::fs::read_to_string(&newest).with_context(|| format!("cannot read {}", newest.display()))?;
    serde_json::from_str(&text).map(Some).with_context(|| format!("{}: not JSON", newest.display()))
}
