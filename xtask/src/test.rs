//! `cargo xtask test`: every test, through the interfaces users touch.
//!
//! 1. The dependency policy (offline), Rust unit and integration tests (model parity,
//!    preprocessing, the trainer's CLI end to end), a compile check of the trainer's wgpu feature,
//!    and the sample data generator's tests.
//! 2. The wasm build in headless Chromium (`wasm-bindgen-test`), on the CPU and WebGPU backends.
//! 3. The page itself in headless Chromium (Playwright), against the dev server.

use std::process::Command;

use anyhow::Result;

use crate::command::execute;
use crate::setup::{self, CHROMEDRIVER, WASM_TARGET};
use crate::web_build::{self, BuildArgs};

#[derive(clap::Args)]
pub struct TestArgs {
    /// Run only one stage: rust, wasm or page (default: all, in that order).
    #[arg(long, value_parser = ["rust", "wasm", "page"])]
    only: Option<String>,
}

pub fn run(args: &TestArgs) -> Result<()> {
    setup::run_all()?;
    let wanted = |stage: &str| args.only.as_deref().is_none_or(|only| only == stage);
    if wanted("rust") {
        crate::dependencies::run()?;
        execute(Command::new("cargo").args(["test", "--workspace"]))?;
        // `--device wgpu` lives behind a cargo feature that the default build leaves out: keep it
        // compiling. (`cuda` cannot be compiled here: it downloads LLVM from GitHub; see README.)
        execute(Command::new("cargo").args(["check", "--package", "trainer", "--features", "wgpu"]))?;
        execute(Command::new("python3").args(["-m", "unittest", "discover", "-s", "data", "-p", "test_*.py"]))?;
        // The cluster manifests against Kubernetes' own schemas (deploy/README.md).
        execute(Command::new("python3").args(["-m", "kubernetes_validate", "--strict", "deploy/evaluate-job.yaml", "deploy/merge-job.yaml"]))?;
    }
    if wanted("wasm") {
        browser_tests()?;
    }
    if wanted("page") {
        page_tests()?;
    }
    Ok(())
}

fn browser_tests() -> Result<()> {
    execute(Command::new("cargo")
        .args(["test", "--package", "effilens", "--target", WASM_TARGET, "--features", "webgpu", "--test", "web"])
        .env("CHROMEDRIVER", CHROMEDRIVER)
        // Software WebGPU compiles every shader on the CPU: give the suite time.
        .env("WASM_BINDGEN_TEST_TIMEOUT", "900"))
}

fn page_tests() -> Result<()> {
    // The dev profile optimises dependencies (burn) fully and reuses the test builds' artefacts.
    web_build::run(&BuildArgs { profile: "dev".into(), no_opt: true })?;
    let artifacts = crate::root().join("test-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    let expected = artifacts.join("trainer-predictions.txt");
    execute(Command::new("cargo")
        .args(["run", "--quiet", "--package", "trainer", "--", "eval", "--model", "www/models/logo"])
        .args(["--data", "data/sample/val", "--out"])
        .arg(&expected))?;
    // The publishable folder, served below a sub-path as a static host would serve it, and the
    // test artefacts beside it (the page tests put tampered bundles there).
    let site = crate::site::write(&[crate::root().join("www/models/logo")], &artifacts.join("site"))?;
    let mounts = vec![("some/path".to_owned(), site), ("test-artifacts".to_owned(), artifacts.clone())];
    let (url, _server) = crate::serve::spawn_with(0, mounts)?;
    execute(Command::new("node")
        .args(["--test", "--test-concurrency=1", "tests/page/"])
        .env("EFFILENS_SITE_URL", format!("{url}some/path/"))
        .env("EFFILENS_URL", url)
        .env("EFFILENS_ROOT", crate::root())
        .env("EFFILENS_EXPECTED_PREDICTIONS", expected)
        // For tests that make an image in the page and ask the trainer about it too.
        .env("EFFILENS_TRAINER", crate::target_dir().join("debug").join(format!("trainer{}", std::env::consts::EXE_SUFFIX))))
}
