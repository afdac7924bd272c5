//! The machine a benchmark ran on and when: a figure means little without them.

use std::process::Command;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::command::output;

/// The UTC time now, ISO 8601 (`2025-01-31T12:00:00Z`); its first ten characters are the date.
pub fn now() -> Result<String> {
    output(Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])).context("`date` did not run")
}

/// CPU model, the cores this process may use (what the thread pools size themselves by),
/// memory and operating system.
pub fn describe() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = field(&cpuinfo, "model name")
        .or_else(|| output(Command::new("uname").arg("-m")))
        .unwrap_or_else(|| "unknown CPU".into());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| field(&meminfo, "MemTotal"))
        .and_then(|total| total.trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map(|kib| (kib / (1024.0 * 1024.0) * 10.0).round() / 10.0);
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(1, usize::from),
        "memory_gib": memory_gib,
        "os": output(Command::new("uname").args(["-sr"])).unwrap_or_else(|| std::env::consts::OS.into()),
    })
}

/// The value of the first `key: value` line of a /proc file.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().to_owned())
}
