//! `trainer`: fine-tune EfficientNet on an ImageFolder, evaluate it, export a bundle for the
//! browser, and classify images from the command line.

mod model_source;
mod predict;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "trainer", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the most likely classes of images.
    Predict(predict::PredictArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Predict(args) => predict::run(args),
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
