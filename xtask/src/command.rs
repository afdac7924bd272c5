//! Running other programs, echoing each command so a log says what happened.

use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Runs `command` in the workspace root and fails unless it succeeds.
pub fn execute(command: &mut Command) -> Result<()> {
    command.current_dir(crate::root());
    eprintln!("$ {}", describe(command));
    let status = command.status().with_context(|| format!("cannot start {}", describe(command)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs `command` and returns its trimmed standard output, or `None` if it cannot run or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let output = command.current_dir(crate::root()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Runs `command` in the workspace root, its progress (standard error) shown as it comes, and
/// parses what it prints on standard output as JSON. Fails unless it succeeds.
pub fn json_output(command: &mut Command) -> Result<serde_json::Value> {
    command.current_dir(crate::root()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    eprintln!("$ {}", describe(command));
    let output = command.output().with_context(|| format!("cannot start {}", describe(command)))?;
    if !output.status.success() {
        bail!("`{}` failed ({})", describe(command), output.status);
    }
    serde_json::from_slice(&output.stdout).with_context(|| format!("`{}` did not print JSON", describe(command)))
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
