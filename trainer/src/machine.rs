//! The machine a benchmark ran on and when: a figure means little without them.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// The UTC time now, ISO 8601 (`2025-01-31T12:00:00Z`); its first ten characters are the date.
pub fn now() -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let (days, time) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", time / 3600, time % 3600 / 60, time % 60)
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, which needs no calendar crate).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// CPU model, the cores this process may use (what the thread pools size themselves by), memory,
/// operating system and, where the NVIDIA driver lists them, the GPUs.
pub fn describe() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = field(&cpuinfo, "model name").unwrap_or_else(|| std::env::consts::ARCH.into());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| field(&meminfo, "MemTotal"))
        .and_then(|total| total.trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map(|kib| (kib / (1024.0 * 1024.0) * 10.0).round() / 10.0);
    let os = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| std::env::consts::OS.to_owned(), |release| format!("Linux {}", release.trim()));
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(1, usize::from),
        "memory_gib": memory_gib,
        "os": os,
        "gpus": nvidia_gpus(),
    })
}

/// The models of the GPUs the NVIDIA driver lists under /proc (empty elsewhere).
fn nvidia_gpus() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc/driver/nvidia/gpus") else { return Vec::new() };
    let mut gpus: Vec<String> = entries
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("information")).ok())
        .filter_map(|information| field(&information, "Model"))
        .collect();
    gpus.sort();
    gpus
}

/// The value of the first `key: value` line of a /proc file.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_the_epoch_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29), "a leap day of a century divisible by 400");
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert!(now().ends_with('Z') && now().len() == 20);
    }
}
