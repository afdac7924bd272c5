//! `trainer report`: read a JSON evaluation report back (from `trainer eval` or downloaded from
//! the page) and print and write it again, under the same or another decision rule.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use effilens_evaluation::DecisionRule;
use effilens_evaluation::formats::parse_report;

use crate::eval::DecisionArgs;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// A predictions.json written by `trainer eval` or downloaded from the page.
    report: PathBuf,
    /// Write predictions.txt here, and the JSON report and CSV beside it (.json, .csv).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    decision: DecisionArgs,
    /// Decide by the most probable class, whatever rule the report was written with.
    #[arg(long, conflicts_with = "threshold")]
    argmax: bool,
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.report).with_context(|| format!("cannot read {}", args.report.display()))?;
    let (evaluation, written_with) =
        parse_report(&text).map_err(anyhow::Error::msg).with_context(|| format!("{}", args.report.display()))?;
    let rule = match args.decision.rule(&evaluation.classes)? {
        Some(rule) => rule,
        None if args.argmax => DecisionRule::Argmax,
        None => written_with,
    };
    crate::eval::report(&evaluation, &rule, args.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
