//! What a visitor downloads: each wasm build raw and gzipped, and the logo bundle with f32 and
//! with f16 weights.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::command::execute;
use crate::web_build::BUILDS;

/// Size rows (`section` "sizes", `unit` "bytes", `value`), and notes on what was measured
/// instead of what was asked for. `trainer` exports the logo bundle from `checkpoint` (the
/// benchmark's own training of it) into `work`; without one, the bundles in `www/models/` are
/// measured as shipped.
pub fn measure(trainer: &Path, work: &Path, profile: &str, checkpoint: Option<&Path>) -> Result<(Vec<Value>, Vec<String>)> {
    let root = crate::root();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for build in BUILDS.iter().map(|build| build.name) {
        let path = root.join("www/pkg").join(build).join("effilens_bg.wasm");
        let wasm = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let label = format!("wasm, {build} build (profile {profile})");
        rows.push(size_row(&format!("size/wasm/{build}/raw"), &format!("{label}, raw"), wasm.len()));
        rows.push(size_row(&format!("size/wasm/{build}/gzip"), &format!("{label}, gzip -9"), gzipped_len(&wasm)?));
    }

    match checkpoint {
        Some(checkpoint) => {
            for (dtype, flags) in [("f32", &[][..]), ("f16", &["--f16"][..])] {
                let out = work.join(format!("logo-{dtype}"));
                execute(Command::new(trainer)
                    .args(["export", "--name", "logo", "--model"])
                    .arg(checkpoint)
                    .arg("--out")
                    .arg(&out)
                    .args(flags))?;
                let label = format!("logo bundle, {dtype} weights, exported from the timed training's best checkpoint");
                rows.push(size_row(&format!("size/bundle/logo/{dtype}"), &label, directory_size(&out)?));
            }
        }
        None => {
            notes.push("no training checkpoint to export the logo bundle from in f32 and f16 (a quick run does not \
                        train): the sizes are those of the bundles in www/models/"
                .to_owned());
            for (name, dtype, bytes) in shipped_bundles(&root.join("www/models"))? {
                let label = format!("{name} bundle, {dtype} weights, as shipped in www/models/{name}");
                rows.push(size_row(&format!("size/bundle/{name}/{dtype}"), &label, bytes));
            }
        }
    }
    Ok((rows, notes))
}

fn size_row(id: &str, label: &str, bytes: usize) -> Value {
    json!({ "section": "sizes", "id": id, "label": label, "unit": "bytes", "value": bytes })
}

/// Size after gzip at its highest level, as a server would pre-compress a static file.
fn gzipped_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

/// Total bytes of the files directly in `dir` (a bundle: model.json and its weights).
fn directory_size(dir: &Path) -> Result<usize> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let metadata = entry?.metadata()?;
        if metadata.is_file() {
            total += metadata.len() as usize;
        }
    }
    Ok(total)
}

/// (folder name, weights dtype, bytes) of every bundle under `models`, sorted by name.
fn shipped_bundles(models: &Path) -> Result<Vec<(String, String, usize)>> {
    let mut bundles = Vec::new();
    for entry in std::fs::read_dir(models).with_context(|| format!("cannot list {}", models.display()))? {
        let dir = entry?.path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("model.json")) else { continue };
        let manifest: Value = serde_json::from_str(&manifest)
            .with_context(|| format!("{}: not JSON", dir.join("model.json").display()))?;
        let dtype = manifest["weights"]["dtype"].as_str().unwrap_or("unknown dtype").to_owned();
        let name = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        bundles.push((name, dtype, directory_size(&dir)?));
    }
    bundles.sort();
    Ok(bundles)
}
