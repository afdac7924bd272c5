//! `cargo xtask site`: the page, its wasm builds and chosen model bundles as one self-contained
//! static folder, ready for any static host, at any path.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::web_build::{self, BuildArgs};

#[derive(clap::Args)]
pub struct SiteArgs {
    /// A model bundle (`trainer export` output: model.json and its weights); repeat for several.
    /// The first is the one the page loads on start. Default: the bundled models
    /// (www/models/index.json: the logo detector, and the ImageNet Lite0 that Teach can start from).
    #[arg(long = "model")]
    pub models: Vec<PathBuf>,
    /// The folder to write (replaced if it holds an earlier site).
    #[arg(long, default_value = "site")]
    pub out: PathBuf,
    /// Use what www/pkg/ already holds instead of building the wasm.
    #[arg(long)]
    pub no_build: bool,
    #[command(flatten)]
    pub build: BuildArgs,
}

/// What static hosts that read a `_headers` file (Netlify, Cloudflare Pages and others) send:
/// cross-origin isolation, so the page can run its threaded CPU build, and the page's own
/// security headers.
const HEADERS: &str = "/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
  Cross-Origin-Resource-Policy: same-origin
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
";

const HOSTING_NOTE: &str = "# Hosting this folder

Upload the whole folder to any static host, at the root or under any path
(`https://host/some/path/`); every URL inside it is relative, and nothing points outside it.

- Hosts that read `_headers` (Netlify, Cloudflare Pages, …) send the headers in that file. With
  them the page is cross-origin isolated and runs on every core (up to 8 Web Workers).
- Hosts that cannot set headers (GitHub Pages, plain object storage) serve the page too: it runs
  the same model on one thread, a few times slower on multi-core machines. For nginx, the same
  headers are `add_header Cross-Origin-Opener-Policy same-origin;` and
  `add_header Cross-Origin-Embedder-Policy require-corp;`.
- `.wasm` files must be served as `application/wasm` (most hosts do).

Share a model: `https://host/some/path/?model=models/<id>/model.json` opens that bundle, checked
against its SHA-256, whatever the site loads by default.
";

pub fn run(args: &SiteArgs) -> Result<()> {
    if !args.no_build {
        crate::setup::web_toolchain()?;
        web_build::run(&args.build)?;
    }
    let models = if args.models.is_empty() { bundled_models()? } else { args.models.clone() };
    let out = write(&models, &crate::root().join(&args.out))?;
    println!("wrote {}: serve it from any static host (see HOSTING.md inside)", out.display());
    Ok(())
}

/// The folders www/models/index.json lists, in its order.
fn bundled_models() -> Result<Vec<PathBuf>> {
    let models = crate::root().join("www/models");
    let index: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(models.join("index.json"))?)?;
    index
        .as_array()
        .context("www/models/index.json is not a list")?
        .iter()
        .map(|model| model["path"].as_str().map(|path| crate::root().join("www").join(path)).context("a model in www/models/index.json has no path"))
        .collect()
}

/// Writes the site for `models` into `out`; returns `out`.
pub fn write(models: &[PathBuf], out: &Path) -> Result<PathBuf> {
    let www = crate::root().join("www");
    for build in ["cpu", "evaluation"] {
        if !www.join("pkg").join(build).is_dir() {
            bail!("www/pkg/{build}/ is missing: build the page first (cargo xtask build-web), or leave out --no-build");
        }
    }
    // Check every bundle before touching `out`.
    let mut bundles = Vec::new();
    for dir in models {
        bundles.push(check_bundle(dir)?);
    }
    if out.exists() {
        if !out.join("index.html").is_file() || !out.join("HOSTING.md").is_file() {
            bail!("{} exists and is not a site this command wrote: choose another --out", out.display());
        }
        std::fs::remove_dir_all(out).with_context(|| format!("cannot replace {}", out.display()))?;
    }
    // Not the models (the chosen bundles replace them), nor what a build left half done in
    // www/pkg/ (`.cpu.new`, web_build.rs).
    let hidden = |relative: &Path| relative.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'));
    copy_dir(&www, out, &|relative| relative != Path::new("models") && !hidden(relative))?;
    let mut index = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for (dir, manifest) in &bundles {
        let mut id = slug(dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default().as_str());
        while ids.contains(&id) {
            id.push('-');
        }
        let target = out.join("models").join(&id);
        std::fs::create_dir_all(&target)?;
        let weights = manifest["weights"]["file"].as_str().expect("checked");
        for file in ["model.json", weights] {
            std::fs::copy(dir.join(file), target.join(file)).with_context(|| format!("cannot copy {}", dir.join(file).display()))?;
        }
        // Where third-party weights came from and under which licence travels with them.
        if dir.join("NOTICE.md").is_file() {
            std::fs::copy(dir.join("NOTICE.md"), target.join("NOTICE.md"))?;
        }
        index.push(json!({ "id": id, "name": manifest["name"].as_str().unwrap_or(&id), "path": format!("models/{id}/") }));
        ids.push(id);
    }
    std::fs::write(out.join("models/index.json"), serde_json::to_string_pretty(&index)? + "\n")?;
    std::fs::write(out.join("_headers"), HEADERS)?;
    std::fs::write(out.join("HOSTING.md"), HOSTING_NOTE)?;
    Ok(out.to_path_buf())
}

/// A bundle's manifest, after checking that its weights are there and match its checksum.
fn check_bundle(dir: &Path) -> Result<(PathBuf, Value)> {
    let manifest_path = dir.join("model.json");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("{}: not a model bundle (no readable model.json; `trainer export` writes one)", dir.display()))?;
    let manifest: Value = serde_json::from_str(&text).with_context(|| format!("{}: not JSON", manifest_path.display()))?;
    let Some(file) = manifest["weights"]["file"].as_str().filter(|file| !file.contains(['/', '\\']) && !file.starts_with('.')) else {
        bail!("{}: names no plain weights file", manifest_path.display());
    };
    let weights = std::fs::read(dir.join(file)).with_context(|| format!("{}: cannot read its weights {file}", dir.display()))?;
    let digest = crate::checksum::sha256_hex(&weights);
    if manifest["weights"]["sha256"].as_str() != Some(digest.as_str()) {
        bail!("{}: {file} does not match the SHA-256 in model.json; re-export the bundle", dir.display());
    }
    Ok((dir.to_path_buf(), manifest))
}

/// A URL-safe folder name: ASCII letters, digits, `-` and `_`.
fn slug(name: &str) -> String {
    let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    if slug.trim_matches('-').is_empty() { "model".to_owned() } else { slug }
}

/// Copies `from` into `to`, leaving out what `keep` refuses (paths relative to `from`).
fn copy_dir(from: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
    fn walk(root: &Path, dir: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let relative = path.strip_prefix(root).expect("below the root");
            if !keep(relative) {
                continue;
            }
            let target = to.join(path.file_name().expect("a named entry"));
            if path.is_dir() {
                walk(root, &path, &target, keep)?;
            } else {
                std::fs::copy(&path, &target).with_context(|| format!("cannot copy {}", path.display()))?;
            }
        }
        Ok(())
    }
    walk(from, from, to, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo xtask site` without `--model` publishes what www/models/index.json lists, and each
    /// entry is a bundle whose third-party weights say where they came from.
    #[test]
    fn the_default_site_publishes_the_listed_bundles() {
        let models = bundled_models().unwrap();
        let names: Vec<_> = models.iter().map(|dir| dir.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["logo", "imagenet-lite0"]);
        for dir in &models {
            check_bundle(dir).unwrap();
        }
        assert!(models[1].join("NOTICE.md").is_file());
    }
}
