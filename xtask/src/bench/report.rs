//! One run's results as one JSON document (what `docs/benchmarks/<date and time>.json` holds), and as the
//! table the terminal and `docs/BENCHMARKS.md` show. The page is always rendered from the JSON
//! files, the previous run's included, so every number in it comes from the command.

use serde_json::{Map, Value, json};

/// What one `cargo xtask bench` measured, and where and how.
pub struct Run {
    /// UTC, ISO 8601; the first ten characters are the date.
    pub time: String,
    pub quick: bool,
    /// The cargo profile of the wasm builds the browser rows and sizes are of.
    pub wasm_profile: String,
    pub machine: Value,
    pub versions: Map<String, Value>,
    /// `trainer bench --json` output.
    pub native: Value,
    /// `tests/bench/torch_bench.py` output, where a Python with torch was found.
    pub pytorch: Option<Value>,
    /// `tests/page/bench.mjs` output.
    pub browser: Value,
    /// The native trainer's figures beside the page's Teach rows (teach.rs): the references of
    /// the browser rows of their ids.
    pub teach_reference: Vec<Value>,
    /// The timed training of the bundled model (rows of section "training"), where it ran.
    pub training: Vec<Value>,
    /// The bundled model's accuracy and pointing game (rows of section "quality").
    pub quality: Vec<Value>,
    /// `cargo xtask serve` on a fresh clone (rows of section "first-start"), where it ran.
    pub first_start: Vec<Value>,
    pub sizes: Vec<Value>,
    /// A cache line's round trip between two cores (ns), taken between the steps, with when.
    pub core_round_trips: Vec<(String, f64)>,
    pub notes: Vec<String>,
}

impl Run {
    /// The run as one document: rows of every section (`native`, `browser`, `sizes`), each with
    /// its reference's figures and the speed ratio where the reference has a row of that id:
    /// PyTorch's beside the native rows, ONNX Runtime Web's beside the browser rows.
    pub fn into_json(self) -> Value {
        let pytorch_rows = self.pytorch.as_ref().map(rows_of).unwrap_or_default();
        let mut onnx_runtime_rows = rows_of(&self.browser["reference"]);
        onnx_runtime_rows.extend(self.teach_reference.iter().cloned());
        let mut rows: Vec<Value> = rows_of(&self.native)
            .into_iter()
            .map(|row| with_reference(in_section(row, "native"), &pytorch_rows))
            .collect();
        rows.extend(rows_of(&self.browser).into_iter().map(|row| with_reference(in_section(row, "browser"), &onnx_runtime_rows)));
        rows.extend(self.training);
        rows.extend(self.quality);
        rows.extend(self.first_start);
        rows.extend(self.sizes);

        let mut versions = self.versions;
        for source in [self.pytorch.as_ref(), Some(&self.browser)].into_iter().flatten() {
            if let Some(found) = source["versions"].as_object() {
                versions.extend(found.clone());
            }
        }
        let notes: Vec<Value> = [Some(&self.native), self.pytorch.as_ref(), Some(&self.browser)]
            .into_iter()
            .flatten()
            .flat_map(|source| source["notes"].as_array().cloned().unwrap_or_default())
            .chain(self.notes.into_iter().map(Value::from))
            .collect();
        json!({
            "date": self.time.get(..10).unwrap_or(&self.time),
            "time": self.time,
            "command": if self.quick { "cargo xtask bench --quick" } else { "cargo xtask bench" },
            "quick": self.quick,
            "machine": self.machine,
            "versions": versions,
            "native": { "backend": self.native["backend"], "threads": self.native["threads"] },
            "pytorch": self.pytorch.as_ref().map(|pytorch| json!({ "threads": pytorch["threads"], "glibc_tunables": pytorch["glibc_tunables"] })),
            "browser": {
                "wasm_profile": self.wasm_profile,
                "webgpu_adapter": self.browser["webgpu_adapter"],
                "reference": self.browser["reference"]["source"],
            },
            "core_round_trip_ns": self.core_round_trips.iter().map(|(when, ns)| json!({ "when": when, "ns": ns })).collect::<Vec<_>>(),
            "rows": rows,
            "notes": notes,
        })
    }
}

/// The newest partial records (`docs/benchmarks/<kind>/`) beside the full runs.
#[derive(Clone, Copy, Default)]
pub struct Records<'a> {
    pub gpu: Option<&'a Value>,
    pub quality: Option<&'a Value>,
    pub first_start: Option<&'a Value>,
    pub teach: Option<&'a Value>,
}

/// `docs/BENCHMARKS.md`: how to read it, the partial records newer than the latest run, the
/// latest run, the one before it, then the newest GPU record.
pub fn page(latest: &Value, previous: Option<&Value>, records: Records) -> String {
    let Records { gpu, quality, first_start, teach } = records;
    let mut page = String::from(
        "# Benchmarks\n\
         \n\
         Written by `cargo xtask bench` (see the README): every number on this page comes from that\n\
         command — do not edit it by hand. Each run records its results in\n\
         `docs/benchmarks/<date and time>.json` and rewrites this page with its table followed by the previous\n\
         run's, so that a change which makes something slower shows up side by side.\n\
         \n\
         Timings are the median of the timed runs, which follow untimed warm-up runs, with the\n\
         fastest and the slowest run in brackets. `ms`: milliseconds, lower is better; `img/s`:\n\
         images per second, higher is better. *speed vs reference* is effilens' speed divided by\n\
         the reference's in the same run, on the same machine and threads: above 1× effilens is\n\
         faster. The native rows' reference is PyTorch (lukemelas `efficientnet-pytorch` and its\n\
         Lite fork, random weights), run since 2026-12-04 with glibc's malloc keeping the memory it\n\
         frees, as effilens' trainer keeps it (docs/PERFORMANCE.md, 12.); the browser rows' is ONNX\n\
         Runtime Web in the same Chromium, running an ONNX export of the same architecture on its\n\
         wasm backend (on its WebGPU backend beside the WebGPU forward row): `session.run` alone,\n\
         so beside the folder rows (which decode every image and show the results) it is a batch\n\
         of 16 images already in memory. *vs previous* is the change of the median since the\n\
         previous run, for rows measuring the same thing (same label); it says slower or faster\n\
         only when the median left the previous run's range.\n",
    );
    // A quality record newer than the latest run measured a model that run did not see.
    if let Some(quality) = quality.filter(|quality| quality["time"].as_str() > latest["time"].as_str()) {
        page += &format!("\n## The bundled model's quality: {}\n\n{}", quality["time"].as_str().unwrap_or_default(), quality_section(quality));
    }
    if let Some(first_start) = first_start.filter(|record| record["time"].as_str() > latest["time"].as_str()) {
        page += &format!("\n## The first start: {}\n\n{}", first_start["time"].as_str().unwrap_or_default(), first_start_section(first_start));
    }
    if let Some(teach) = teach.filter(|record| record["time"].as_str() > latest["time"].as_str()) {
        page += &format!("\n## Teach: {}\n\n{}", teach["time"].as_str().unwrap_or_default(), teach_section(teach));
    }
    page += &format!("\n## Latest: {}\n\n{}", heading(latest), run_section(latest, previous));
    match previous {
        Some(previous) => page += &format!("\n## Previous: {}\n\n{}", heading(previous), run_section(previous, None)),
        None => page += "\n## Previous\n\nNo earlier run is recorded in `docs/benchmarks/`.\n",
    }
    match gpu {
        Some(gpu) => page += &format!("\n## On a GPU: {}\n\n{}", gpu_heading(gpu), gpu_section(gpu)),
        None => page += "\n## On a GPU\n\nNo GPU run is recorded in `docs/benchmarks/gpu/`.\n",
    }
    page
}

/// A `cargo xtask bench --quality` record: the bundled model's scores, newer than the timed runs below.
fn quality_section(record: &Value) -> String {
    let mut text = format!(
        "`cargo xtask bench --quality`, measuring the bundle whose weights have SHA-256 `{}`; newer than the \
         latest timed run below, whose quality rows measured the model of its day. Scores: higher is better.\n\n\
         | figure | score |\n| --- | ---: |\n",
        record["weights_sha256"].as_str().unwrap_or("unknown"),
    );
    for row in record["rows"].as_array().into_iter().flatten() {
        let score = row["median"].as_f64().map_or_else(|| "—".to_owned(), |score| format!("{score:.3}"));
        text += &format!("| {} | {score} |\n", row["label"].as_str().unwrap_or_default());
    }
    text
}

/// A `cargo xtask bench --first-start` record, newer than the timed runs below.
fn first_start_section(record: &Value) -> String {
    let mut text = format!(
        "`cargo xtask bench --first-start` at commit `{}`, newer than the latest timed run below: {FIRST_START_SETTING}. \
         Seconds, lower is better.\n\n| step | s |\n| --- | ---: |\n",
        record["commit"].as_str().unwrap_or("unknown"),
    );
    for row in record["rows"].as_array().into_iter().flatten() {
        let seconds = row["median"].as_f64().map_or_else(|| "—".to_owned(), |s| if s < 10.0 { format!("{s:.1}") } else { format!("{s:.0}") });
        text += &format!("| {} | {seconds} |\n", row["label"].as_str().unwrap_or_default());
    }
    text
}

/// A `cargo xtask bench --teach` record, newer than the timed runs below: the page's Teach rows
/// beside the native trainer's.
fn teach_section(record: &Value) -> String {
    let mut text = format!(
        "`cargo xtask bench --teach` at commit `{}`, newer than the latest timed run below: the page's Teach on its \
         threaded CPU build beside `trainer train` with the same settings, same machine ({} cores) and threads.\n\n\
         | benchmark | effilens in the page | native trainer | speed vs trainer |\n| --- | ---: | ---: | ---: |\n",
        record["commit"].as_str().unwrap_or("unknown"),
        record["cores"],
    );
    for row in record["rows"].as_array().into_iter().flatten() {
        let unit = unit_of(row);
        let reference = if row["reference"].is_null() { "—".to_owned() } else { format!("{} {unit}", figure(&row["reference"])) };
        let ours = if row["value"].is_null() { format!("{} {unit}", figure(row)) } else { figure(row) };
        let ratio = row["speed_vs_reference"].as_f64().map_or("—".into(), |ratio| format!("{ratio:.2}×"));
        text += &format!("| {} | {ours} | {reference} | {ratio} |\n", label_of(row));
    }
    text
}

/// What the first-start rows measure, for their headings.
const FIRST_START_SETTING: &str = "a fresh clone with an empty target folder, set-up done (toolchains and crates cached)";

fn gpu_heading(record: &Value) -> String {
    let date = record["time"].as_str().and_then(|time| time.get(..10)).unwrap_or("undated");
    let gpus: Vec<&str> = record["machine"]["gpus"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    format!("{date}, {}", if gpus.is_empty() { "no GPU named by the driver".into() } else { gpus.join(", ") })
}

/// A `trainer bench --device flex --device …` record from a machine with a GPU
/// (tests/bench/gpu_record.sh): each benchmark on every device of the run side by side, with each
/// device's speed over flex's on that machine, and over PyTorch's on the GPU where the record
/// holds PyTorch's rows (key `pytorch`: `torch_bench.py --device cuda` output).
fn gpu_section(record: &Value) -> String {
    let machine = &record["machine"];
    let devices: Vec<&str> = record["devices"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let others: Vec<&str> = devices.iter().copied().filter(|&device| device != "flex").collect();
    let mut text = format!(
        "`trainer bench{}` at {} on {}, {} cores, {} GiB memory, {}{}. Another machine than the tables \
         above: compare within this table. flex ran on {} threads.\n\n",
        devices.iter().map(|device| format!(" --device {device}")).collect::<String>(),
        record["time"].as_str().unwrap_or_default(),
        machine["cpu"].as_str().unwrap_or("an unknown CPU"),
        machine["cores"],
        machine["memory_gib"],
        machine["os"].as_str().unwrap_or_default(),
        if record["quick"] == true { " (a quick run: fewer repetitions)" } else { "" },
        record["threads"],
    );
    let pytorch = &record["pytorch"];
    let pytorch_rows = rows_of(pytorch);
    let pytorch_device = pytorch["device"].as_str().unwrap_or("cuda");
    if !pytorch_rows.is_empty() {
        let versions = &pytorch["versions"];
        text += &format!(
            "The reference is PyTorch {} (CUDA {}, cuDNN {}) on `{pytorch_device}` ({}), as torch runs by \
             default: cuDNN may pick TF32 convolutions.\n\n",
            versions["torch"].as_str().unwrap_or("?"),
            versions["cuda"].as_str().unwrap_or("?"),
            versions["cudnn"],
            pytorch["gpu"].as_str().unwrap_or("an unnamed GPU"),
        );
    } else {
        text += "No PyTorch reference in this record: `tests/bench/gpu_record.sh` adds one where a Python with \
                 torch, efficientnet_pytorch and a CUDA device is found.\n\n";
    }
    let mut columns = vec!["benchmark".to_owned(), "flex (CPU)".to_owned()];
    for device in &others {
        columns.extend([(*device).to_owned(), format!("{device} vs flex")]);
    }
    if !pytorch_rows.is_empty() {
        columns.push(format!("PyTorch {pytorch_device}"));
        columns.extend(others.iter().map(|device| format!("{device} vs PyTorch")));
    }
    let mut lines = vec![
        format!("| {} |", columns.join(" | ")),
        format!("| --- |{}", " ---: |".repeat(columns.len() - 1)),
    ];
    let rows = rows_of(record);
    let find = |id: &str| rows.iter().find(|row| row["id"] == id);
    for row in rows.iter().filter(|row| row["id"].as_str().is_some_and(|id| !id.contains('@'))) {
        let id = row["id"].as_str().unwrap_or_default();
        let unit = unit_of(row);
        let mut cells = vec![format!("{} ({unit})", label_of(row)), figure(row)];
        for device in &others {
            let on_device = find(&format!("{id}@{device}"));
            cells.push(on_device.map_or("—".into(), figure));
            cells.push(ratio_cell(unit, on_device, Some(row)));
        }
        if !pytorch_rows.is_empty() {
            let reference = pytorch_rows.iter().find(|reference| reference["id"] == id);
            cells.push(reference.map_or("—".into(), figure));
            cells.extend(others.iter().map(|device| ratio_cell(unit, find(&format!("{id}@{device}")), reference)));
        }
        lines.push(format!("| {} |", cells.join(" | ")));
    }
    text += &(lines.join("\n") + "\n");
    for note in record["notes"].as_array().into_iter().flatten() {
        text += &format!("- {}\n", note.as_str().unwrap_or_default());
    }
    text
}

/// `ours`'s speed over `theirs` as a table cell, or a dash where either row is missing.
fn ratio_cell(unit: &str, ours: Option<&Value>, theirs: Option<&Value>) -> String {
    let ratio = || Some(speed_ratio(unit, ours?["median"].as_f64()?, theirs?["median"].as_f64()?));
    ratio().map_or("—".into(), |ratio| format!("{ratio:.1}×"))
}

/// One run's context, table and notes; with a `previous` run, a column compares against it.
pub fn run_section(run: &Value, previous: Option<&Value>) -> String {
    let machine = &run["machine"];
    let mut described = vec![machine["cpu"].as_str().unwrap_or("an unknown CPU").to_owned(), format!("{} cores", machine["cores"])];
    if let Some(memory) = machine["memory_gib"].as_f64() {
        described.push(format!("{memory} GiB memory"));
    }
    if let Some(os) = machine["os"].as_str() {
        described.push(os.to_owned());
    }
    let versions: Vec<String> = run["versions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, version)| format!("{name} {}", version.as_str().unwrap_or_default()))
        .collect();
    let mut text = format!(
        "`{}` at {} on {}.{}\n{}.\n\n",
        run["command"].as_str().unwrap_or("cargo xtask bench"),
        run["time"].as_str().unwrap_or_default(),
        described.join(", "),
        if run["quick"] == true {
            " A quick run: fewer repetitions and the unoptimised (dev) wasm build, not figures to compare."
        } else {
            ""
        },
        versions.join(", "),
    );
    text += &round_trips(run);
    text += &table(run, previous);
    let notes = run["notes"].as_array().cloned().unwrap_or_default();
    if !notes.is_empty() {
        text += "\n";
        for note in notes {
            text += &format!("- {}\n", note.as_str().unwrap_or_default());
        }
    }
    text
}

/// "A cache line's round trip between two cores: 64 ns before …, 310 ns after …", or nothing
/// for runs that did not record it.
fn round_trips(run: &Value) -> String {
    let taken: Vec<String> = run["core_round_trip_ns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|taken| Some(format!("{:.0} ns {}", taken["ns"].as_f64()?, taken["when"].as_str()?)))
        .collect();
    if taken.is_empty() {
        return String::new();
    }
    format!(
        "A cache line's round trip between two cores: {}. Hundreds of ns: the cores share no cache, \
         and rows on 2 threads run slower (docs/PERFORMANCE.md).\n\n",
        taken.join(", ")
    )
}

fn heading(run: &Value) -> String {
    let machine = &run["machine"];
    format!(
        "{}, {} ({} cores)",
        run["date"].as_str().unwrap_or("undated"),
        machine["cpu"].as_str().unwrap_or("unknown CPU"),
        machine["cores"]
    )
}

fn table(run: &Value, previous: Option<&Value>) -> String {
    let mut columns = vec!["benchmark", "effilens", "reference", "speed vs reference"];
    if previous.is_some() {
        columns.push("vs previous");
    }
    let mut lines = vec![
        format!("| {} |", columns.join(" | ")),
        format!("| --- |{}", " ---: |".repeat(columns.len() - 1)),
    ];
    let rows = rows_of(run);
    let sections = [
        ("native", native_title(run)),
        ("browser", browser_title(run)),
        ("training", format!("The bundled model's recipe on data/sample/train: {}", run["native"]["backend"].as_str().unwrap_or("the CPU"))),
        ("quality", "The bundled model's quality (higher is better)".into()),
        ("first-start", format!("The first start: {FIRST_START_SETTING}")),
        ("sizes", "Sizes".into()),
    ];
    for (section, title) in sections {
        let section_rows: Vec<&Value> = rows.iter().filter(|row| row["section"] == section).collect();
        if section_rows.is_empty() {
            continue;
        }
        lines.push(format!("| **{title}** |{}", " |".repeat(columns.len() - 1)));
        for row in section_rows {
            let unit = unit_of(row);
            let label = if unit == "bytes" { label_of(row).to_owned() } else { format!("{} ({unit})", label_of(row)) };
            let mut cells = vec![
                label,
                figure(row),
                row.get("reference").map_or("—".into(), figure),
                row["speed_vs_reference"].as_f64().map_or("—".into(), |ratio| format!("{ratio:.2}×")),
            ];
            if let Some(previous) = previous {
                // Another label is another measurement (another input size, another photo).
                let same = |before: &Value| before["id"] == row["id"] && unit_of(before) == unit && label_of(before) == label_of(row);
                let before = rows_of(previous).into_iter().find(same);
                cells.push(before.map_or("—".into(), |before| change(row, &before, unit)));
            }
            lines.push(format!("| {} |", cells.join(" | ")));
        }
    }
    lines.join("\n") + "\n"
}

fn native_title(run: &Value) -> String {
    let mut title = format!(
        "Native: effilens on {}, {} threads",
        run["native"]["backend"].as_str().unwrap_or("the CPU"),
        run["native"]["threads"]
    );
    if let Some(threads) = run["pytorch"].get("threads") {
        title += &format!("; reference: PyTorch {}, {threads} threads", run["versions"]["torch"].as_str().unwrap_or_default());
        if let Some(tunables) = run["pytorch"]["glibc_tunables"].as_str() {
            title += &format!(", glibc malloc keeping freed memory (`GLIBC_TUNABLES={tunables}`)");
        }
    }
    title
}

fn browser_title(run: &Value) -> String {
    let mut title = format!(
        "Browser: headless Chromium {}, wasm profile {}",
        run["versions"]["chromium"].as_str().unwrap_or_default(),
        run["browser"]["wasm_profile"].as_str().unwrap_or_default()
    );
    if run["browser"]["reference"] == "onnxruntime-web" {
        title += &format!(
            "; reference: ONNX Runtime Web {} (wasm backend, as many threads; WebGPU backend for WebGPU), forward passes alone",
            run["versions"]["onnxruntime-web"].as_str().unwrap_or_default()
        );
    }
    title += "; Teach's reference: `trainer train --freeze-backbone --no-augment` and `export` making the same bundle natively";
    title
}

/// `median (min–max)`, all three to the median's precision (three significant digits), or a size.
fn figure(stats: &Value) -> String {
    if let Some(bytes) = stats["value"].as_f64() {
        return format_bytes(bytes);
    }
    let median = stats["median"].as_f64().unwrap_or(f64::NAN);
    let decimals = if median >= 100.0 {
        0
    } else if median >= 10.0 {
        1
    } else {
        2
    };
    let number = |key: &str| stats[key].as_f64().map_or("?".into(), |value| format!("{value:.decimals$}"));
    format!("{} ({}–{})", number("median"), number("min"), number("max"))
}

/// The relative change of the figure since `before`; called slower (bigger) or faster (smaller)
/// only when it left `before`'s range — any change for a size, which has no spread.
fn change(row: &Value, before: &Value, unit: &str) -> String {
    let now = central(row);
    let then = central(before);
    let (Some(now), Some(then)) = (now, then) else { return "—".into() };
    let lower_is_better = !matches!(unit, "img/s" | "score");
    let low = before["min"].as_f64().unwrap_or(then);
    let high = before["max"].as_f64().unwrap_or(then);
    let percent = (now / then - 1.0) * 100.0;
    // A change that rounds to +0.0 % (a size a few bytes off) is no change.
    let visible = (percent * 10.0).round() != 0.0;
    let (worse, better) = if lower_is_better { (now > high, now < low) } else { (now < low, now > high) };
    let (worse, better) = (worse && visible, better && visible);
    let (worse_word, better_word) = match unit {
        "bytes" => ("bigger", "smaller"),
        "score" => ("worse", "better"),
        _ => ("slower", "faster"),
    };
    let verdict = if worse {
        format!(" **{worse_word}**")
    } else if better {
        format!(" {better_word}")
    } else {
        String::new()
    };
    format!("{percent:+.1} %{verdict}")
}

fn central(row: &Value) -> Option<f64> {
    row["median"].as_f64().or_else(|| row["value"].as_f64())
}

/// The speed of `ours` over `theirs` (effilens over PyTorch, a GPU over the CPU): above 1, ours is
/// faster.
fn speed_ratio(unit: &str, ours: f64, theirs: f64) -> f64 {
    if unit == "img/s" { ours / theirs } else { theirs / ours }
}

fn format_bytes(bytes: f64) -> String {
    if bytes >= 1e6 {
        format!("{:.2} MB", bytes / 1e6)
    } else if bytes >= 1e3 {
        format!("{:.1} kB", bytes / 1e3)
    } else {
        format!("{bytes} B")
    }
}

/// `row` with the figures of the reference row of its id, if any, and effilens' speed over it.
fn with_reference(mut row: Value, references: &[Value]) -> Value {
    let Some(reference) = references.iter().find(|reference| reference["id"] == row["id"]) else { return row };
    let stats: Map<String, Value> = ["median", "min", "max", "runs", "warmup"]
        .into_iter()
        .map(|key| (key.to_owned(), reference[key].clone()))
        .collect();
    if let (Some(ours), Some(theirs)) = (row["median"].as_f64(), reference["median"].as_f64()) {
        row["speed_vs_reference"] = json!(speed_ratio(unit_of(&row), ours, theirs));
    }
    row["reference"] = Value::Object(stats);
    row
}

/// The browser's Teach rows (`bench.mjs --teach`), each beside the native reference of its id.
pub fn teach_rows(browser: &Value, references: &[Value]) -> Vec<Value> {
    rows_of(browser).into_iter().map(|row| with_reference(in_section(row, "browser"), references)).collect()
}

fn rows_of(source: &Value) -> Vec<Value> {
    source["rows"].as_array().cloned().unwrap_or_default()
}

fn in_section(mut row: Value, section: &str) -> Value {
    row["section"] = json!(section);
    row
}

fn unit_of(row: &Value) -> &str {
    row["unit"].as_str().unwrap_or_default()
}

fn label_of(row: &Value) -> &str {
    row["label"].as_str().or_else(|| row["id"].as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(id: &str, unit: &str, median: f64, min: f64, max: f64) -> Value {
        json!({ "id": id, "label": id, "unit": unit, "median": median, "min": min, "max": max, "runs": 5, "warmup": 1 })
    }

    /// The page of a one-row CPU run and `gpu`.
    fn page_with_gpu_record(gpu: &Value) -> String {
        page(&run(vec![stats("forward/b1", "ms", 10.0, 9.0, 11.0)], None, vec![]), None, Records { gpu: Some(gpu), ..Records::default() })
    }

    /// A `trainer bench --device flex --device wgpu` record of two benchmarks.
    fn gpu_record() -> Value {
        json!({
            "time": "2025-02-01T08:00:00Z",
            "machine": { "cpu": "Big CPU", "cores": 16, "memory_gib": 128.0, "os": "Linux", "gpus": ["Test GPU"] },
            "devices": ["flex", "wgpu"],
            "threads": 16,
            "quick": false,
            "rows": [
                stats("forward/b1", "ms", 20.0, 19.0, 21.0),
                stats("fine-tune", "img/s", 10.0, 9.0, 11.0),
                stats("forward/b1@wgpu", "ms", 2.0, 1.9, 2.1),
                stats("fine-tune@wgpu", "img/s", 300.0, 290.0, 310.0),
            ],
            "notes": [],
        })
    }

    fn run(native: Vec<Value>, pytorch: Option<Vec<Value>>, sizes: Vec<Value>) -> Value {
        Run {
            time: "2025-01-31T12:00:00Z".into(),
            quick: false,
            wasm_profile: "wasm-release".into(),
            machine: json!({ "cpu": "Test CPU", "cores": 2, "memory_gib": 4.0, "os": "Linux" }),
            versions: Map::new(),
            native: json!({ "backend": "burn flex (CPU)", "threads": 2, "rows": native, "notes": ["a native note"] }),
            pytorch: pytorch.map(|rows| json!({ "threads": 2, "glibc_tunables": "glibc.malloc.trim_threshold=1", "versions": { "torch": "2.0" }, "rows": rows, "notes": [] })),
            browser: json!({
                "versions": { "chromium": "1.0", "onnxruntime-web": "1.30.0" },
                "rows": [stats("browser/forward", "ms", 25.0, 24.0, 26.0), stats("browser/folder", "img/s", 40.0, 39.0, 41.0)],
                "notes": [],
                "reference": { "source": "onnxruntime-web", "rows": [stats("browser/forward", "ms", 20.0, 19.0, 21.0)] },
            }),
            teach_reference: vec![stats("browser/teach/cpu-threads", "s", 8.0, 7.0, 9.0)],
            training: vec![],
            quality: vec![],
            first_start: vec![],
            sizes,
            core_round_trips: vec![("before the native rows".into(), 64.4), ("after them".into(), 312.0)],
            notes: vec!["a run note".into()],
        }
        .into_json()
    }

    #[test]
    fn a_run_says_how_long_a_cache_line_took_between_the_cores() {
        let latest = run(vec![stats("forward/b1", "ms", 10.0, 9.0, 11.0)], None, vec![]);
        assert_eq!(latest["core_round_trip_ns"][1], json!({ "when": "after them", "ns": 312.0 }));
        let text = run_section(&latest, None);
        assert!(text.contains("A cache line's round trip between two cores: 64 ns before the native rows, 312 ns after them."), "{text}");
        // Runs recorded before it was measured say nothing of it.
        let mut older = latest;
        older.as_object_mut().unwrap().remove("core_round_trip_ns");
        assert!(!run_section(&older, None).contains("round trip"));
    }

    #[test]
    fn reference_figures_sit_beside_the_rows_of_their_id_with_the_speed_ratio() {
        let latest = run(
            vec![stats("forward/b1", "ms", 10.0, 9.0, 11.0), stats("fine-tune", "img/s", 4.0, 3.0, 5.0)],
            Some(vec![stats("forward/b1", "ms", 20.0, 19.0, 21.0), stats("fine-tune", "img/s", 8.0, 7.0, 9.0)]),
            vec![],
        );
        let rows = rows_of(&latest);
        assert_eq!(rows[0]["speed_vs_reference"], json!(2.0), "half the latency is twice the speed");
        assert_eq!(rows[1]["speed_vs_reference"], json!(0.5), "half the throughput is half the speed");
        assert_eq!(rows[0]["reference"]["median"], json!(20.0));
        assert_eq!(rows[2]["section"], "browser");
        assert_eq!(rows[2]["speed_vs_reference"], json!(0.8), "ONNX Runtime Web's figure beside the browser row");
        assert!(rows[3].get("reference").is_none(), "a row without a reference row stands alone");
        assert_eq!(latest["date"], "2025-01-31");
        assert_eq!(latest["notes"], json!(["a native note", "a run note"]));
        let text = run_section(&latest, None);
        assert!(text.contains("| forward/b1 (ms) | 10.0 (9.0–11.0) | 20.0 (19.0–21.0) | 2.00× |"), "{text}");
        assert!(text.contains("reference: PyTorch 2.0, 2 threads, glibc malloc keeping freed memory (`GLIBC_TUNABLES=glibc.malloc.trim_threshold=1`)"), "{text}");
        assert!(text.contains("reference: ONNX Runtime Web 1.30.0 (wasm backend"), "{text}");
        assert!(text.contains("| browser/forward (ms) | 25.0 (24.0–26.0) | 20.0 (19.0–21.0) | 0.80× |"), "{text}");
    }

    #[test]
    fn a_change_is_called_slower_only_outside_the_previous_range() {
        let previous = run(
            vec![stats("latency", "ms", 10.0, 9.0, 11.0), stats("throughput", "img/s", 10.0, 9.0, 11.0)],
            None,
            vec![json!({ "section": "sizes", "id": "wasm", "label": "wasm", "unit": "bytes", "value": 1000 })],
        );
        let latest = run(
            vec![stats("latency", "ms", 10.5, 10.0, 11.0), stats("throughput", "img/s", 8.0, 7.0, 9.0)],
            None,
            vec![json!({ "section": "sizes", "id": "wasm", "label": "wasm", "unit": "bytes", "value": 1100 })],
        );
        let text = run_section(&latest, Some(&previous));
        assert!(text.contains("| latency (ms) | 10.5 (10.0–11.0) | — | — | +5.0 % |"), "{text}");
        assert!(text.contains("| throughput (img/s) | 8.00 (7.00–9.00) | — | — | -20.0 % **slower** |"), "{text}");
        assert!(text.contains("| wasm | 1.1 kB | — | — | +10.0 % **bigger** |"), "{text}");
        let mut relabelled = stats("latency", "ms", 20.0, 19.0, 21.0);
        relabelled["label"] = json!("latency at another input size");
        let text = run_section(&run(vec![relabelled], None, vec![]), Some(&previous));
        assert!(text.contains("| latency at another input size (ms) | 20.0 (19.0–21.0) | — | — | — |"), "{text}");
        let same_size = run(vec![], None, vec![json!({ "section": "sizes", "id": "wasm", "label": "wasm", "unit": "bytes", "value": 1000.2 })]);
        assert!(run_section(&same_size, Some(&previous)).contains("| wasm | 1.0 kB | — | — | +0.0 % |"));
        let page = page(&latest, Some(&previous), Records::default());
        assert!(page.find("## Latest: 2025-01-31").unwrap() < page.find("## Previous: 2025-01-31").unwrap());
        assert!(page.contains("No GPU run is recorded"), "{page}");
    }

    #[test]
    fn a_quality_record_newer_than_the_latest_run_comes_first_and_an_older_one_not_at_all() {
        let latest = run(vec![stats("forward/b1", "ms", 10.0, 9.0, 11.0)], None, vec![]);
        let label = "accuracy on data/sample/test (source-disjoint; 80 images)";
        let record = |time: &str| {
            json!({ "time": time, "weights_sha256": "abc", "rows": [{ "section": "quality", "id": "quality/test/accuracy", "unit": "score", "label": label, "median": 0.95 }] })
        };
        let newer = page(&latest, None, Records { quality: Some(&record("2099-01-01T00:00:00Z")), ..Records::default() });
        assert!(newer.contains("## The bundled model's quality: 2099-01-01T00:00:00Z"), "{newer}");
        assert!(newer.contains(&format!("| {label} | 0.950 |")), "{newer}");
        assert!(newer.find("## The bundled model's quality").unwrap() < newer.find("## Latest").unwrap());
        let older = page(&latest, None, Records { quality: Some(&record("2000-01-01T00:00:00Z")), ..Records::default() });
        assert!(!older.contains("## The bundled model's quality"), "{older}");
    }

    #[test]
    fn a_first_start_record_newer_than_the_latest_run_comes_first_with_its_commit() {
        let latest = run(vec![stats("forward/b1", "ms", 10.0, 9.0, 11.0)], None, vec![]);
        let record = |time: &str| {
            json!({ "time": time, "commit": "abc1234", "rows": [{ "section": "first-start", "id": "first-start/served", "unit": "s", "label": "until the page answers", "median": 251.4 }] })
        };
        let newer = page(&latest, None, Records { first_start: Some(&record("2099-01-01T00:00:00Z")), ..Records::default() });
        assert!(newer.contains("## The first start: 2099-01-01T00:00:00Z"), "{newer}");
        assert!(newer.contains("at commit `abc1234`"), "{newer}");
        assert!(newer.contains("| until the page answers | 251 |"), "{newer}");
        assert!(newer.find("## The first start").unwrap() < newer.find("## Latest").unwrap());
        let older = page(&latest, None, Records { first_start: Some(&record("2000-01-01T00:00:00Z")), ..Records::default() });
        assert!(!older.contains("## The first start"), "{older}");
    }

    #[test]
    fn a_teach_record_shows_the_pages_rows_beside_the_trainers_with_the_ratio() {
        let latest = run(vec![stats("forward/b1", "ms", 10.0, 9.0, 11.0)], None, vec![]);
        let browser = json!({ "rows": [
            stats("browser/teach-network/cpu-threads", "img/s", 3.0, 3.0, 3.0),
            { "id": "browser/teach-network-memory/cpu-threads", "label": "memory", "unit": "bytes", "value": 1_048_576.0 },
        ] });
        let references = [stats("browser/teach-network/cpu-threads", "img/s", 6.0, 6.0, 6.0)];
        let record = json!({
            "time": "2099-01-01T00:00:00Z", "commit": "abc1234",
            "cores": 2,
            "rows": teach_rows(&browser, &references),
        });
        let page = page(&latest, None, Records { teach: Some(&record), ..Records::default() });
        assert!(page.contains("## Teach: 2099-01-01T00:00:00Z"), "{page}");
        assert!(page.contains("| 3.00 (3.00–3.00) img/s | 6.00 (6.00–6.00) img/s | 0.50× |"), "{page}");
        assert!(page.contains("| memory | 1.05 MB | — | — |"), "{page}");
    }

    #[test]
    fn a_gpu_record_shows_each_benchmark_on_every_device_with_its_speed_over_flex() {
        let gpu = gpu_record();
        let page = page_with_gpu_record(&gpu);
        assert!(page.contains("## On a GPU: 2025-02-01, Test GPU"), "{page}");
        assert!(page.contains("| benchmark | flex (CPU) | wgpu | wgpu vs flex |"), "{page}");
        assert!(page.contains("| forward/b1 (ms) | 20.0 (19.0–21.0) | 2.00 (1.90–2.10) | 10.0× |"), "{page}");
        assert!(page.contains("| fine-tune (img/s) | 10.0 (9.0–11.0) | 300 (290–310) | 30.0× |"), "{page}");
        assert!(page.contains("No PyTorch reference"), "{page}");
        assert!(!page.contains("vs PyTorch"), "{page}");
    }

    #[test]
    fn a_gpu_record_with_pytorch_rows_compares_each_gpu_device_with_them() {
        let mut gpu = gpu_record();
        gpu["pytorch"] = json!({
            "device": "cuda",
            "gpu": "Test GPU",
            "versions": { "torch": "9.9", "cuda": "13.0", "cudnn": 91200 },
            "rows": [stats("forward/b1", "ms", 4.0, 3.9, 4.1)],
        });
        let page = page_with_gpu_record(&gpu);
        assert!(page.contains("PyTorch 9.9 (CUDA 13.0, cuDNN 91200) on `cuda` (Test GPU)"), "{page}");
        assert!(page.contains("| benchmark | flex (CPU) | wgpu | wgpu vs flex | PyTorch cuda | wgpu vs PyTorch |"), "{page}");
        assert!(page.contains("| forward/b1 (ms) | 20.0 (19.0–21.0) | 2.00 (1.90–2.10) | 10.0× | 4.00 (3.90–4.10) | 2.0× |"), "{page}");
        assert!(page.contains("| fine-tune (img/s) | 10.0 (9.0–11.0) | 300 (290–310) | 30.0× | — | — |"), "{page}");
    }
}
