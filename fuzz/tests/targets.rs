//! The fuzz targets in the test command: every seed and every input that ever failed
//! (fuzz/regressions/<target>/, where `cargo xtask fuzz` puts what libFuzzer finds), then a brief
//! run of mutated seeds. libFuzzer's long runs are `cargo xtask fuzz`'s.

mod mutants;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use effilens_fuzz::TARGETS;

fn files_in(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable folder").path())
        .filter(|path| path.is_file() && path.extension().is_none_or(|ext| ext != "md"))
        .collect();
    files.sort();
    files
}

fn fuzz_folder(kind: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(kind).join(target)
}

/// Runs `target` on `input`; a panic comes back as its message.
fn failure(target: effilens_fuzz::Target, input: &[u8]) -> Option<String> {
    catch_unwind(AssertUnwindSafe(|| drop(target(input)))).err().map(|panic| {
        panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned())).unwrap_or_default()
    })
}

#[test]
fn every_seed_and_every_past_failure_passes() {
    let mut failures = Vec::new();
    for (name, target) in TARGETS {
        let seeds = files_in(&fuzz_folder("corpus", name));
        assert!(!seeds.is_empty(), "fuzz/corpus/{name}/ has no seeds (python3 fuzz/make_corpus.py writes them)");
        for file in seeds.iter().chain(&files_in(&fuzz_folder("regressions", name))) {
            if let Some(message) = failure(target, &std::fs::read(file).expect("a readable file")) {
                failures.push(format!("{name} on {}: {message}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Mutants per target: a few seconds in all, the smallest of fuzzing.
const MUTANTS: usize = 500;

#[test]
fn mutated_seeds_pass() {
    let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let mut failures = Vec::new();
    for (index, (name, target)) in TARGETS.into_iter().enumerate() {
        let seeds: Vec<Vec<u8>> = files_in(&fuzz_folder("corpus", name)).iter().map(|file| std::fs::read(file).unwrap()).collect();
        let mut mutator = mutants::Mutator::new(index as u64 + 1);
        for round in 0..MUTANTS {
            let input = mutator.mutant(&seeds[round % seeds.len()], &seeds);
            if let Some(message) = failure(target, &input) {
                let file = saved.join(name).join(format!("mutant-{round}"));
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, &input).unwrap();
                failures.push(format!("{name}: {message}; the input is {} (move it to fuzz/regressions/{name}/ once fixed)", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Seeds that deep into the readers are worth something: each is read whole, but for the one made
/// to be refused late (a checkpoint of another network, read after its whole file is parsed).
#[test]
fn the_seeds_get_where_they_were_made_to_get() {
    for (name, target) in TARGETS {
        for file in files_in(&fuzz_folder("corpus", name)) {
            let outcome = target(&std::fs::read(&file).unwrap());
            if file.ends_with("pth/tiny-se.pth") {
                let reason = outcome.expect_err("tiny-se is not the tiny-lite network");
                assert!(reason.contains("does not fit this model"), "{reason}");
            } else {
                assert_eq!(outcome, Ok(()), "{name} on {}", file.display());
            }
        }
    }
}
