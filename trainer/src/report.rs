//! `trainer report`: read a JSON evaluation report back (from `trainer eval` or downloaded from
//! the page) and print and write it again, under the same or another decision rule; and
//! `trainer merge`: the reports of `trainer eval --shard` combined into the unsharded one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use effilens_evaluation::{DecisionRule, Evaluation};
use effilens_evaluation::formats::parse_report;
use effilens_evaluation::shard::merge;

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
    let (evaluation, written_with) = read_report(&args.report)?;
    let rule = match args.decision.rule(&evaluation.classes)? {
        Some(rule) => rule,
        None if args.argmax => DecisionRule::Argmax,
        None => written_with,
    };
    crate::eval::report(&evaluation, &rule, args.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

fn read_report(path: &Path) -> Result<(Evaluation, DecisionRule)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_report(&text).map_err(anyhow::Error::msg).with_context(|| format!("{}", path.display()))
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The predictions.json of every shard (`trainer eval --shard I/N`), in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Write predictions.txt here, and the JSON report and CSV beside it (.json, .csv).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run_merge(args: MergeArgs) -> Result<ExitCode> {
    let shards = args.shards.iter().map(|path| read_report(path)).collect::<Result<Vec<_>>>()?;
    let (evaluation, rule) = merge(shards).map_err(anyhow::Error::msg).context("cannot merge the shards")?;
    crate::eval::report(&evaluation, &rule, args.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
