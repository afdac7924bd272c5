//! `trainer`: fine-tune EfficientNet on an ImageFolder, evaluate it, export a bundle for the
//! browser, classify images from the command line, and time all that.

mod allocator;
mod atomic_file;
mod bench;
mod checkpoint;
mod data_parallel;
mod dataset;
mod device;
mod eval;
mod export;
mod images;
mod machine;
mod model_source;
mod predict;
mod report;
mod settings;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "trainer", version, about, propagate_version = true, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fine-tune EfficientNet on a folder of labeled images (DIR/<class>/<image>).
    Train(Box<train::TrainArgs>),
    /// Evaluate a model on a labeled folder: confusion matrix, precision, recall, F1, predictions.txt.
    Eval(eval::EvalArgs),
    /// Print and rewrite a JSON evaluation report (from `eval` or the page), under the same or
    /// another decision rule.
    Report(report::ReportArgs),
    /// Combine the reports of `eval --shard I/N` into the report one unsharded run writes.
    Merge(report::MergeArgs),
    /// Publish a training checkpoint as a bundle the browser loads (model.json + weights).
    Export(export::ExportArgs),
    /// Print the most likely classes of images.
    Predict(predict::PredictArgs),
    /// Time forward passes, fine-tuning steps and folder evaluation: median and spread over
    /// repeated runs after a warm-up.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    allocator::keep_freed_memory();
    // burn puts some state (a resumed optimizer's) on its default device before moving it to the
    // device that uses it; with a GPU feature compiled in, that default would be a GPU that may
    // not exist. The CPU always does.
    if std::env::var_os("BURN_DEVICE").is_none() {
        // SAFETY: no other thread has started yet.
        unsafe { std::env::set_var("BURN_DEVICE", "flex") };
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train::run(*args),
        Command::Eval(args) => eval::run(args),
        Command::Report(args) => report::run(args),
        Command::Merge(args) => report::run_merge(args),
        Command::Export(args) => export::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // One line, outermost context first: what failed, then why.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
