//! `cargo xtask deps`: the dependency policy, checked from `cargo metadata` alone (the test
//! command runs it). Every crate built for the native tools or the page must come from
//! crates.io, under a licence from `ALLOWED_LICENCES`, and no crate may be compiled in more
//! versions than `ALLOWED_DUPLICATES` grants it: a new duplicate is a decision, not an accident.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// Permissive licences, and MPL-2.0 (file-level copyleft: changes to those crates' own files
/// would be shared, nothing of effilens).
const ALLOWED_LICENCES: &[&str] = &[
    "MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "0BSD", "Unlicense",
    "CC0-1.0", "BSL-1.0", "Unicode-3.0", "CDLA-Permissive-2.0", "MPL-2.0",
];
const ALLOWED_EXCEPTIONS: &[&str] = &["LLVM-exception"];

/// Crates whose manifest names a licence file instead of an SPDX expression, with what the file says.
const LICENCE_FILES: &[(&str, &str)] = &[("cfg_block", "MIT")];

/// How many versions of a crate the graph may hold, where more than one: all of them pulled in
/// by burn, wgpu and their tools, none by effilens' own manifests directly.
const ALLOWED_DUPLICATES: &[(&str, usize)] = &[
    ("allocator-api2", 2), ("base64", 2), ("constant_time_eq", 2), ("convert_case", 2), ("cpufeatures", 2),
    ("darling", 3), ("darling_core", 3), ("darling_macro", 3), ("dirs", 2), ("foldhash", 2), ("getrandom", 3),
    ("hashbrown", 4), ("hi_sparse_bitset", 2), ("itertools", 3), ("libloading", 2), ("linux-raw-sys", 2),
    ("miniz_oxide", 2), ("ndarray", 2), ("nom", 2), ("pastey", 2), ("prettyplease", 2), ("rand", 3),
    ("rand_chacha", 2), ("rand_core", 3), ("rustc-hash", 2), ("rustix", 2), ("safetensors", 2), ("shlex", 2),
    ("strum", 2), ("strum_macros", 2), ("syn", 2), ("thiserror", 2), ("thiserror-impl", 2),
    ("unicode-width", 2), ("ureq", 2), ("webpki-roots", 2), ("zip", 2),
];

/// The platforms effilens builds for: the native tools and the page.
const PLATFORMS: &[&str] = &["x86_64-unknown-linux-gnu", "wasm32-unknown-unknown"];

pub fn run() -> Result<()> {
    let mut command = Command::new("cargo");
    // No --offline: on a fresh clone it may have to fetch crates the build has not yet; it needs no
    // advisory database or other service, so it runs wherever the build does.
    command.args(["metadata", "--format-version", "1", "--locked"]).current_dir(crate::root());
    for platform in PLATFORMS {
        command.args(["--filter-platform", platform]);
    }
    let output = command.output().context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let metadata: Value = serde_json::from_slice(&output.stdout).context("cargo metadata: not JSON")?;
    let problems = check(&metadata);
    if !problems.is_empty() {
        bail!("the dependency policy (xtask/src/dependencies.rs) is broken:\n  {}", problems.join("\n  "));
    }
    println!("dependency policy: every crate from crates.io, under an allowed licence, no new duplicate versions");
    Ok(())
}

/// Each breach of the policy, one line each.
pub fn check(metadata: &Value) -> Vec<String> {
    let workspace: BTreeSet<&str> = strings(&metadata["workspace_members"]).collect();
    let resolved: BTreeSet<&str> = metadata["resolve"]["nodes"].as_array().into_iter().flatten().filter_map(|node| node["id"].as_str()).collect();
    let mut problems = Vec::new();
    let mut versions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let id = package["id"].as_str().unwrap_or_default();
        if workspace.contains(id) || !resolved.contains(id) {
            continue;
        }
        let name = package["name"].as_str().unwrap_or_default();
        let version = package["version"].as_str().unwrap_or_default();
        versions.entry(name).or_default().insert(version);
        if package["source"].as_str() != Some(CRATES_IO) {
            problems.push(format!("{name} {version} comes from {}, not crates.io", package["source"].as_str().unwrap_or("a path")));
        }
        match package["license"].as_str() {
            Some(expression) if !licence_allowed(expression) => {
                problems.push(format!("{name} {version}: licence '{expression}' is not among the allowed ones"));
            }
            Some(_) => {}
            None if LICENCE_FILES.iter().any(|(known, _)| *known == name) => {}
            None => problems.push(format!("{name} {version} names no SPDX licence; read its licence file and list it in LICENCE_FILES")),
        }
    }
    for (name, found) in versions {
        let allowed = ALLOWED_DUPLICATES.iter().find(|(known, _)| *known == name).map_or(1, |(_, count)| *count);
        if found.len() > allowed {
            let list: Vec<&str> = found.into_iter().collect();
            problems.push(format!("{name} is compiled in {} versions ({}), {allowed} allowed", list.len(), list.join(", ")));
        }
    }
    problems
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// Whether an SPDX expression (`A OR B`, `A AND B`, `A WITH exception`, parentheses, and the old
/// `A/B`) can be met with the allowed licences.
pub fn licence_allowed(expression: &str) -> bool {
    let spaced = expression.replace('(', " ( ").replace(')', " ) ").replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut position = 0;
    let allowed = any_of(&tokens, &mut position);
    allowed == Some(true) && position == tokens.len()
}

fn any_of(tokens: &[&str], position: &mut usize) -> Option<bool> {
    let mut result = all_of(tokens, position)?;
    while tokens.get(*position) == Some(&"OR") {
        *position += 1;
        result |= all_of(tokens, position)?;
    }
    Some(result)
}

fn all_of(tokens: &[&str], position: &mut usize) -> Option<bool> {
    let mut result = one(tokens, position)?;
    while tokens.get(*position) == Some(&"AND") {
        *position += 1;
        result &= one(tokens, position)?;
    }
    Some(result)
}

fn one(tokens: &[&str], position: &mut usize) -> Option<bool> {
    let token = *tokens.get(*position)?;
    *position += 1;
    let mut allowed = if token == "(" {
        let inner = any_of(tokens, position)?;
        (tokens.get(*position) == Some(&")")).then(|| *position += 1)?;
        inner
    } else {
        ALLOWED_LICENCES.contains(&token)
    };
    if tokens.get(*position) == Some(&"WITH") {
        allowed &= ALLOWED_EXCEPTIONS.contains(tokens.get(*position + 1)?);
        *position += 2;
    }
    Some(allowed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn licence_expressions_are_read_as_spdx() {
        for allowed in ["MIT", "MIT OR Apache-2.0", "MIT/Apache-2.0", "(MIT OR Apache-2.0) AND Unicode-3.0", "Apache-2.0 WITH LLVM-exception", "GPL-3.0 OR MIT"] {
            assert!(licence_allowed(allowed), "{allowed}");
        }
        for refused in ["GPL-3.0", "MIT AND GPL-3.0", "Apache-2.0 WITH Classpath-exception-2.0", "(MIT OR Apache-2.0", "MIT OR", ""] {
            assert!(!licence_allowed(refused), "{refused}");
        }
    }

    #[test]
    fn a_git_source_a_copyleft_licence_and_a_new_duplicate_are_each_reported() {
        let package = |name: &str, version: &str, source: Option<&str>, license: &str| {
            json!({"id": format!("{name} {version}"), "name": name, "version": version, "source": source, "license": license})
        };
        let packages = vec![
            package("fine", "1.0.0", Some(CRATES_IO), "MIT"),
            package("forked", "0.1.0", Some("git+https://example.com/forked"), "MIT"),
            package("viral", "2.0.0", Some(CRATES_IO), "GPL-3.0-only"),
            package("twice", "1.0.0", Some(CRATES_IO), "MIT"),
            package("twice", "2.0.0", Some(CRATES_IO), "MIT"),
            package("effilens", "0.1.0", None, "MIT"),
        ];
        let ids: Vec<Value> = packages.iter().map(|package| json!({"id": package["id"]})).collect();
        let metadata = json!({"packages": packages, "workspace_members": ["effilens 0.1.0"], "resolve": {"nodes": ids}});
        let problems = check(&metadata);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].starts_with("forked 0.1.0 comes from git+https://example.com/forked"));
        assert!(problems[1].starts_with("viral 2.0.0: licence 'GPL-3.0-only'"));
        assert_eq!(problems[2], "twice is compiled in 2 versions (1.0.0, 2.0.0), 1 allowed");
    }
}
