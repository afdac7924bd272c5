//! The first start (issue #24): `cargo xtask serve` on a fresh clone of this checkout, with an
//! empty target folder, timed to the page answering and to its first prediction, then a second
//! `serve` in the same clone. Set-up is done (toolchains, wasm-bindgen, the crates in cargo's
//! cache), as on any machine that ran `cargo xtask setup` once; what it times is what every new
//! clone costs.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::command::{execute, json_output};

/// The target for the page to answer on a fresh clone, in seconds.
const TARGET_S: f64 = 300.0;

pub fn measure(work: &Path) -> Result<Vec<Value>> {
    let folder = work.join("first-start");
    if folder.exists() {
        std::fs::remove_dir_all(&folder).with_context(|| format!("cannot remove {}", folder.display()))?;
    }
    let clone = folder.join("effilens");
    execute(Command::new("git").args(["clone", "--quiet"]).arg(crate::root()).arg(&clone))?;
    eprintln!("first start: `cargo xtask serve` on a fresh clone with an empty target folder (minutes)…");

    let started = Instant::now();
    let mut first = Serve::start(&clone)?;
    let served_s = started.elapsed().as_secs_f64();
    let page = json_output(Command::new("node").arg("tests/page/first-prediction.mjs").env("EFFILENS_URL", &first.url));
    let prediction_s = started.elapsed().as_secs_f64();
    first.stop();
    let page = page?;

    let started = Instant::now();
    let mut second = Serve::start(&clone)?;
    let second_s = started.elapsed().as_secs_f64();
    second.stop();
    // Two target folders' worth of builds: not worth keeping.
    std::fs::remove_dir_all(&folder).with_context(|| format!("cannot remove {}", folder.display()))?;

    let row = |id: &str, label: String, seconds: f64| {
        json!({ "section": "first-start", "id": id, "unit": "s", "label": label,
                "median": seconds, "min": seconds, "max": seconds, "runs": 1, "warmup": 0 })
    };
    Ok(vec![
        row("first-start/served", format!("`cargo xtask serve` on a fresh clone until the page answers (target ≤ {TARGET_S:.0} s)"), served_s),
        row(
            "first-start/prediction",
            format!("… until that page shows its first prediction (Chromium started, the model loaded: {})", page["label"].as_str().unwrap_or("?")),
            prediction_s,
        ),
        row("first-start/second", "a second `serve` in that clone until the page answers".into(), second_s),
    ])
}

/// A running `cargo xtask serve` in a clone, in a process group of its own so that stopping it
/// also stops the builds it runs in the background.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    /// Starts `serve` in `clone` and waits until it says where it serves.
    fn start(clone: &Path) -> Result<Self> {
        let mut child = Command::new("cargo")
            .args(["xtask", "serve", "--port", "0"])
            .current_dir(clone)
            .env("CARGO_TARGET_DIR", clone.join("target"))
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .context("cannot start cargo xtask serve")?;
        // Read on a thread to the end, so that what serve prints later never meets a closed pipe.
        let stdout = child.stdout.take().expect("piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if let Some(url) = line.strip_prefix("effilens is served at ").and_then(|rest| rest.split_whitespace().next()) {
                    let _ = sender.send(url.to_owned());
                }
            }
        });
        let mut serve = Serve { child, url: String::new() };
        match receiver.recv() {
            Ok(url) => {
                serve.url = url;
                Ok(serve)
            }
            Err(_) => {
                serve.stop();
                bail!("`cargo xtask serve` in {} ended before serving the page", clone.display())
            }
        }
    }

    fn stop(&mut self) {
        // The whole group: cargo, the server and the background builds.
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}
