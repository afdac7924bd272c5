//! `cargo xtask fuzz`: libFuzzer on every fuzz target (fuzz/, with cargo-fuzz on nightly Rust),
//! each for as long as asked, and a record of how long each has run clean.
//!
//! libFuzzer starts from the committed seeds (fuzz/corpus/<target>/) and keeps what it finds
//! interesting in the target folder, not in the repository; a failing input goes to
//! fuzz/regressions/<target>/, which the test command replays. Each run is appended to
//! docs/fuzzing/runs.json, and docs/FUZZING.md is rewritten from it: per target, the time run
//! clean in total, the inputs tried and the last failure.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::command::{execute, output};
use crate::setup;

/// The targets, as fuzz/Cargo.toml names its binaries.
const TARGETS: [&str; 6] = ["image", "reduced_jpeg", "manifest", "bundle", "checkpoint", "pth"];

#[derive(clap::Args)]
pub struct FuzzArgs {
    /// Minutes for each target.
    #[arg(long, default_value_t = 1.0)]
    minutes: f64,
    /// Only these targets (default: all): image, reduced_jpeg, manifest, bundle, checkpoint, pth.
    #[arg(long = "target", value_parser = TARGETS)]
    targets: Vec<String>,
    /// Targets fuzzed at once, each in a process of its own (one core each).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Fuzz nothing: rewrite docs/FUZZING.md from docs/fuzzing/runs.json.
    #[arg(long, conflicts_with_all = ["targets", "jobs"])]
    render: bool,
}

pub fn run(args: &FuzzArgs) -> Result<()> {
    if args.render {
        let runs = read_runs(&crate::root())?;
        return write_page(&crate::root(), &runs);
    }
    if args.minutes.is_nan() || args.minutes <= 0.0 {
        bail!("--minutes must be more than 0");
    }
    setup::fuzz_toolchain()?;
    execute(Command::new("cargo").args(["+nightly", "fuzz", "build", "--features", "libfuzzer"]))?;
    let targets: Vec<&str> = if args.targets.is_empty() { TARGETS.to_vec() } else { args.targets.iter().map(String::as_str).collect() };
    let root = crate::root();
    std::fs::create_dir_all(crate::target_dir().join("fuzz"))?;
    let commit = output(Command::new("git").args(["rev-parse", "--short", "HEAD"])).unwrap_or_default();
    let mut failed = Vec::new();
    // libFuzzer runs one process per target: as many at once as asked, each on a core.
    for group in targets.chunks(args.jobs.max(1)) {
        let runs: Vec<(&str, std::process::Child, std::path::PathBuf)> =
            group.iter().map(|&target| start(target, args.minutes).map(|(child, log)| (target, child, log))).collect::<Result<_>>()?;
        for (target, mut child, log) in runs {
            let status = child.wait().context("cannot wait for cargo fuzz")?;
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let run = json!({
                "time": output(Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])),
                "commit": commit,
                "target": target,
                "seconds": seconds_run(&text),
                "inputs": final_stat(&text, "stat::number_of_executed_units:"),
                "clean": status.success(),
                "failure": (!status.success()).then(|| failure_of(&text)),
            });
            if !status.success() {
                failed.push(format!("{target}: {}", failure_of(&text)));
            }
            record(&root, run)?;
        }
    }
    if !failed.is_empty() {
        bail!("fuzzing found failures (their inputs are in fuzz/regressions/):\n{}", failed.join("\n"));
    }
    Ok(())
}

/// Starts libFuzzer on `target` for `minutes`; returns the process and its log.
fn start(target: &str, minutes: f64) -> Result<(std::process::Child, std::path::PathBuf)> {
    let root = crate::root();
    let found = crate::target_dir().join("fuzz/corpus").join(target);
    let regressions = root.join("fuzz/regressions").join(target);
    std::fs::create_dir_all(&found)?;
    std::fs::create_dir_all(&regressions)?;
    let log = crate::target_dir().join("fuzz").join(format!("{target}.log"));
    let seconds = (minutes * 60.0).round().max(1.0) as u64;
    eprintln!("fuzzing {target} for {seconds} s (libFuzzer's log: {})", log.display());
    let child = Command::new("cargo")
        .args(["+nightly", "fuzz", "run", target, "--features", "libfuzzer"])
        .arg(&found)
        .arg(root.join("fuzz/corpus").join(target))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        // A budget per input: the decode budgets must hold an input to well under a second.
        .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
        // No leak check: jpeg-decoder decodes each colour component on a thread of its own, whose
        // thread-local state LeakSanitizer reports when the thread has not exited yet (112 bytes,
        // found in the first run). Memory that grows is caught by the RSS limit instead.
        .arg("-detect_leaks=0")
        .arg(format!("-artifact_prefix={}/", regressions.display()))
        .current_dir(&root)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .context("cannot start cargo fuzz")?;
    Ok((child, log))
}

/// How long libFuzzer ran: its closing "Done N runs in S second(s)".
fn seconds_run(log: &str) -> Option<f64> {
    let line = log.lines().rev().find(|line| line.starts_with("Done "))?;
    line.split_once(" in ")?.1.split_whitespace().next()?.parse().ok()
}

/// A figure of libFuzzer's final statistics (`-print_final_stats=1`).
fn final_stat(log: &str, name: &str) -> Option<f64> {
    log.lines().find_map(|line| line.strip_prefix(name)).and_then(|value| value.trim().parse().ok())
}

/// What libFuzzer said about a failure: its summary and where it wrote the input.
fn failure_of(log: &str) -> String {
    let summary = log.lines().find(|line| line.starts_with("SUMMARY:") || line.contains("ERROR: libFuzzer")).unwrap_or("no summary");
    let input = log.lines().find_map(|line| line.split_once("Test unit written to ").map(|(_, path)| path)).unwrap_or("no input written");
    format!("{} ({input})", summary.trim())
}

/// Appends `run` to docs/fuzzing/runs.json and rewrites docs/FUZZING.md.
fn record(root: &Path, run: Value) -> Result<()> {
    let mut runs = read_runs(root)?;
    runs.push(run);
    let path = root.join("docs/fuzzing/runs.json");
    std::fs::create_dir_all(path.parent().expect("a folder"))?;
    std::fs::write(&path, serde_json::to_string_pretty(&runs)? + "\n")?;
    write_page(root, &runs)
}

fn read_runs(root: &Path) -> Result<Vec<Value>> {
    let path = root.join("docs/fuzzing/runs.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display())),
        Err(_) => Ok(Vec::new()),
    }
}

fn write_page(root: &Path, runs: &[Value]) -> Result<()> {
    let page = root.join("docs/FUZZING.md");
    std::fs::write(&page, render(runs)).with_context(|| format!("cannot write {}", page.display()))
}

/// docs/FUZZING.md from the runs.
fn render(runs: &[Value]) -> String {
    let mut page = String::from(
        "# Fuzzing\n\n\
         Written by `cargo xtask fuzz` from `docs/fuzzing/runs.json`: do not edit by hand. libFuzzer (cargo-fuzz, \
         AddressSanitizer; since 2026-12-07 06:47Z without its leak check, which reported the thread-local state \
         of jpeg-decoder's per-component threads) on each target of `fuzz/`, with 10 s and 2 GiB per input, from \
         the seeds in `fuzz/corpus/`; a failing input goes to \
         `fuzz/regressions/`, which the test command replays with the seeds and a brief run of mutated seeds \
         (`fuzz/tests/targets.rs`). Time clean: the runs that found nothing, added up.\n\n\
         | target | time clean | inputs tried clean | runs | failures | last failure |\n| --- | ---: | ---: | ---: | ---: | --- |\n",
    );
    for target in TARGETS {
        let of_target: Vec<&Value> = runs.iter().filter(|run| run["target"] == target).collect();
        let clean: Vec<&&Value> = of_target.iter().filter(|run| run["clean"] == true).collect();
        // `+ 0.0`: an empty sum of floats is -0.0.
        let seconds = clean.iter().filter_map(|run| run["seconds"].as_f64()).sum::<f64>() + 0.0;
        let inputs = clean.iter().filter_map(|run| run["inputs"].as_f64()).sum::<f64>() + 0.0;
        let failures: Vec<&&Value> = of_target.iter().filter(|run| run["clean"] == false).collect();
        let last = failures.last().map_or("—".to_owned(), |run| {
            format!("{} at `{}`: {}", run["time"].as_str().unwrap_or("?"), run["commit"].as_str().unwrap_or("?"), run["failure"].as_str().unwrap_or("?"))
        });
        page += &format!(
            "| `{target}` | {:.1} min | {:.0} | {} | {} | {last} |\n",
            seconds / 60.0,
            inputs,
            of_target.len(),
            failures.len()
        );
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "#188004\tDONE   cov: 9984\nDone 188004 runs in 841 second(s)\nstat::number_of_executed_units: 188004\nstat::average_exec_per_sec:     223\n";

    #[test]
    fn a_run_is_read_from_libfuzzers_closing_lines() {
        assert_eq!(seconds_run(LOG), Some(841.0));
        assert_eq!(final_stat(LOG, "stat::number_of_executed_units:"), Some(188004.0));
        assert_eq!(seconds_run("==1== ERROR: libFuzzer: deadly signal"), None);
    }

    #[test]
    fn the_page_adds_up_clean_runs_only() {
        let runs = [
            json!({ "target": "image", "clean": true, "seconds": 600.0, "inputs": 1000.0 }),
            json!({ "target": "image", "clean": true, "seconds": 300.0, "inputs": 500.0 }),
            json!({ "target": "image", "clean": false, "seconds": 30.0, "inputs": 9.0, "time": "T", "commit": "c", "failure": "boom" }),
        ];
        let page = render(&runs);
        assert!(page.contains("| `image` | 15.0 min | 1500 | 3 | 1 | T at `c`: boom |"), "{page}");
        assert!(page.contains("| `pth` | 0.0 min | 0 | 0 | 0 | — |"), "{page}");
    }
}
