//! The page's wasm: one CPU-only build and one with WebGPU, each run through wasm-bindgen
//! (and wasm-opt when it is installed) into `www/pkg/<build>/`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

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

/// The two builds: name (also the output folder) and the cargo features it needs.
pub const BUILDS: [(&str, &[&str]); 2] = [("cpu", &[]), ("webgpu", &["webgpu"])];

pub fn run(args: &BuildArgs) -> Result<()> {
    for (name, features) in BUILDS {
        let mut cargo = Command::new("cargo");
        cargo.args(["build", "--package", "effilens", "--lib", "--target", WASM_TARGET, "--profile", &args.profile]);
        if !features.is_empty() {
            cargo.args(["--features", &features.join(",")]);
        }
        execute(&mut cargo)?;
        let out_dir = crate::root().join("www/pkg").join(name);
        execute(
            Command::new("wasm-bindgen")
                .args(["--target", "web", "--no-typescript", "--out-name", "effilens", "--out-dir"])
                .arg(&out_dir)
                .arg(built_wasm(&args.profile)),
        )?;
        let wasm_opt = crate::root().join("node_modules/.bin/wasm-opt");
        if !args.no_opt && wasm_opt.exists() {
            let wasm = out_dir.join("effilens_bg.wasm");
            // No feature flags: wasm-opt reads the features rustc used from the module itself, and
            // enabling more (`--all-features`) emits encodings browsers reject.
            execute(Command::new(&wasm_opt).args(["-O3", "-o"]).arg(&wasm).arg(&wasm))?;
        }
    }
    Ok(())
}

fn built_wasm(profile: &str) -> PathBuf {
    let dir = if profile == "dev" { "debug" } else { profile };
    crate::root().join("target").join(WASM_TARGET).join(dir).join("effilens.wasm")
}
