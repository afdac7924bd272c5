//! The page's wasm builds, each run through wasm-bindgen (and wasm-opt when it is installed) into
//! `www/pkg/<build>/`: a CPU-only build, the same on a pool of threads for cross-origin isolated
//! pages, and one with WebGPU; and the evaluation core (`evaluation/`, no burn), which the page
//! loads on its main thread into `www/pkg/evaluation/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::command::execute;
use crate::setup::WASM_TARGET;

#[derive(clap::Args, Clone)]
pub struct BuildArgs {
    /// Cargo profile: `wasm-release` (fat LTO, smallest and fastest, slow to build) or `release`.
    #[arg(long, default_value = "wasm-release")]
    pub profile: String,
    /// Skip wasm-opt even where it is installed.
    #[arg(long)]
    pub no_opt: bool,
}

/// One wasm build of the main crate.
pub struct WasmBuild {
    /// Its folder under `www/pkg/`, which the page's worker imports.
    pub name: &'static str,
    /// The package (under `wasm/`) that links it into one module.
    package: &'static str,
    features: &'static [&'static str],
    /// Runs burn's CPU kernels on a rayon pool of Web Workers. Shared wasm memory needs the
    /// standard library rebuilt with atomics, which only nightly Rust does (`-Z build-std`).
    threads: bool,
}

pub const BUILDS: [WasmBuild; 3] = [
    WasmBuild { name: "cpu", package: "effilens-wasm-cpu", features: &[], threads: false },
    WasmBuild { name: "cpu-threads", package: "effilens-wasm-cpu", features: &["threads"], threads: true },
    WasmBuild { name: "webgpu", package: "effilens-wasm-webgpu", features: &[], threads: false },
];

/// The flags `.cargo/config.toml` gives every wasm build, plus atomics for every crate, the
/// standard library included. RUSTFLAGS replaces that file's flags instead of adding to them, so
/// they are repeated here.
const THREADS_RUSTFLAGS: &str = "--cfg=web_sys_unstable_apis --cfg getrandom_backend=\"wasm_js\" \
     -C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals";

/// The threaded module's own link (given to the final crate only, so that they do not rebuild the
/// dependencies): one memory shared by all threads, imported so that every thread's instance gets
/// it, and the thread-local-storage symbols wasm-bindgen calls when a thread starts.
const THREADS_LINK_ARGS: [&str; 7] = [
    "--shared-memory",
    "--import-memory",
    "--max-memory=2147483648",
    "--export=__wasm_init_tls",
    "--export=__tls_size",
    "--export=__tls_align",
    "--export=__tls_base",
];

pub fn run(args: &BuildArgs) -> Result<()> {
    evaluation_core(args)?;
    builds(args, &BUILDS)
}

/// What a page needs before it can answer: the evaluation core and the one-thread CPU build
/// (cross-origin isolated pages fall back to it while the threaded build is missing, and WebGPU
/// pages to the CPU).
pub fn first(args: &BuildArgs) -> Result<()> {
    evaluation_core(args)?;
    builds(args, &BUILDS[..1])
}

/// The profile of [`first`] on a fresh clone: dependencies at opt-level 1 and proc macros at 0
/// (Cargo.toml, `first-start`), about half the dev profile's compile time, for a page that
/// answers in minutes and then runs slower until the dev builds replace it.
pub const FIRST_START: &str = "first-start";

/// Whether `profile`'s one-thread CPU build was ever compiled in this target folder: then a
/// rebuild is incremental, and quick in that profile too.
pub fn compiled(profile: &str) -> bool {
    built_wasm(&BUILDS[0], profile).is_file()
}

/// The threaded CPU and the WebGPU builds.
pub fn rest(args: &BuildArgs) -> Result<()> {
    builds(args, &BUILDS[1..])
}

fn builds(args: &BuildArgs, builds: &[WasmBuild]) -> Result<()> {
    for build in builds {
        let mut cargo = Command::new("cargo");
        cargo.args(if build.threads { &["+nightly", "rustc"][..] } else { &["build"][..] });
        cargo.args(["--package", build.package, "--lib", "--target", WASM_TARGET, "--profile", &args.profile]);
        if !build.features.is_empty() {
            cargo.args(["--features", &build.features.join(",")]);
        }
        if build.threads {
            // Its own target folder: other flags and another toolchain would otherwise rebuild
            // the single-threaded builds' dependencies every time.
            cargo.args(["-Z", "build-std=panic_abort,std", "--target-dir"]).arg(target_dir(build));
            cargo.env("RUSTFLAGS", THREADS_RUSTFLAGS).arg("--");
            for link_arg in THREADS_LINK_ARGS {
                cargo.arg("-C").arg(format!("link-arg={link_arg}"));
            }
        }
        execute(&mut cargo)?;
        publish(build.name, |out_dir| {
            execute(
                Command::new("wasm-bindgen")
                    .args(["--target", "web", "--no-typescript", "--out-name", "effilens", "--out-dir"])
                    .arg(out_dir)
                    .arg(built_wasm(build, &args.profile)),
            )?;
            optimise(args, &out_dir.join("effilens_bg.wasm"))
        })?;
    }
    Ok(())
}

/// Writes `www/pkg/<name>/` with `write` into a folder beside it, then swaps the two: a page
/// that `serve` answers while a build replaces another never loads one build's JavaScript with
/// the other's wasm.
fn publish(name: &str, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    publish_in(&crate::root().join("www/pkg"), name, write)
}

fn publish_in(pkg: &Path, name: &str, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let (staged, target, old) = (pkg.join(format!(".{name}.new")), pkg.join(name), pkg.join(format!(".{name}.old")));
    for leftover in [&staged, &old] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).with_context(|| format!("cannot remove {}", leftover.display()))?;
        }
    }
    std::fs::create_dir_all(&staged)?;
    write(&staged)?;
    if target.exists() {
        std::fs::rename(&target, &old).with_context(|| format!("cannot move {} aside", target.display()))?;
    }
    std::fs::rename(&staged, &target).with_context(|| format!("cannot move {} into place", staged.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(())
}

/// The evaluation core: labeling, metrics, table and downloads, the same Rust as `trainer eval`.
fn evaluation_core(args: &BuildArgs) -> Result<()> {
    // A cdylib only here: as the trainer's and the main crate's dependency it is an rlib without
    // `web`, which cargo caches apart (a local package's cdylib has one cache slot whatever its
    // features, and building both would rebuild each other).
    execute(Command::new("cargo").args(["rustc", "--package", "effilens-evaluation", "--lib", "--crate-type", "cdylib"]).args([
        "--features",
        "web",
        "--target",
        WASM_TARGET,
        "--profile",
        &args.profile,
    ]))?;
    let dir = if args.profile == "dev" { "debug" } else { &args.profile };
    let built = crate::target_dir().join(WASM_TARGET).join(dir).join("effilens_evaluation.wasm");
    publish("evaluation", |out_dir| {
        execute(
            Command::new("wasm-bindgen")
                .args(["--target", "web", "--no-typescript", "--out-name", "effilens_evaluation", "--out-dir"])
                .arg(out_dir)
                .arg(&built),
        )?;
        optimise(args, &out_dir.join("effilens_evaluation_bg.wasm"))
    })
}

fn optimise(args: &BuildArgs, wasm: &Path) -> Result<()> {
    let wasm_opt = crate::root().join("node_modules/.bin/wasm-opt");
    if !args.no_opt && wasm_opt.exists() {
        // No feature flags: wasm-opt reads the features rustc used from the module itself, and
        // enabling more (`--all-features`) emits encodings browsers reject.
        execute(Command::new(&wasm_opt).args(["-O3", "-o"]).arg(wasm).arg(wasm))?;
    }
    Ok(())
}

fn target_dir(build: &WasmBuild) -> PathBuf {
    let target = crate::target_dir();
    if build.threads { target.join("wasm-threads") } else { target }
}

fn built_wasm(build: &WasmBuild, profile: &str) -> PathBuf {
    let dir = if profile == "dev" { "debug" } else { profile };
    target_dir(build).join(WASM_TARGET).join(dir).join(format!("{}.wasm", build.package.replace('-', "_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_replaces_the_previous_one_whole_and_a_failed_one_leaves_it_alone() {
        let pkg = std::env::temp_dir().join(format!("effilens-publish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&pkg);
        let write = |text: &'static str| move |dir: &Path| Ok(std::fs::write(dir.join("effilens.js"), text)?);
        publish_in(&pkg, "cpu", write("one")).unwrap();
        std::fs::write(pkg.join("cpu/stale.wasm"), "from the first build").unwrap();
        publish_in(&pkg, "cpu", write("two")).unwrap();
        assert_eq!(std::fs::read_to_string(pkg.join("cpu/effilens.js")).unwrap(), "two");
        assert!(!pkg.join("cpu/stale.wasm").exists(), "a file of the previous build survived");

        let failed = publish_in(&pkg, "cpu", |_: &Path| anyhow::bail!("wasm-bindgen failed"));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(pkg.join("cpu/effilens.js")).unwrap(), "two");
        publish_in(&pkg, "cpu", write("three")).unwrap(); // the failed attempt's leftovers are cleared
        let names: Vec<_> = std::fs::read_dir(&pkg).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, ["cpu"]);
        std::fs::remove_dir_all(&pkg).unwrap();
    }
}
