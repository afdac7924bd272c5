//! Sharded evaluation: a deterministic share of a folder per machine, and the shards' reports
//! merged back into exactly the report one machine would have written.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decision::DecisionRule;
use crate::report::Evaluation;

/// Shard `index` of `count` (0-based, as Kubernetes' `JOB_COMPLETION_INDEX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N`, with `0 <= I < N`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("--shard '{text}': expected I/N with 0 <= I < N, e.g. 0/4");
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let (index, count): (usize, usize) =
            (index.trim().parse().map_err(|_| invalid())?, count.trim().parse().map_err(|_| invalid())?);
        if count == 0 || index >= count {
            return Err(invalid());
        }
        Ok(Self { index, count })
    }

    /// Whether the file at `relative` (its path below the evaluated folder) is this shard's: by a
    /// hash of the path (FNV-1a, 64 bits), so every machine agrees whatever order its file system
    /// lists the folder in, and wherever the folder is mounted.
    pub fn holds(&self, relative: &str) -> bool {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in relative.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash % self.count as u64 == self.index as u64
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Merges the reports of all shards of one evaluation. They must agree on the model, folder,
/// classes and decision, and be shards `0..N` of one `N`, each once.
pub fn merge(shards: Vec<(Evaluation, DecisionRule)>) -> Result<(Evaluation, DecisionRule), String> {
    let mut shards = shards.into_iter();
    let (mut merged, rule) = shards.next().ok_or("no shard reports to merge")?;
    let count = merged.shard.ok_or("the first report is not a shard (it was written without --shard)")?.count;
    let mut seen = vec![false; count];
    let mut mark = |evaluation: &Evaluation| -> Result<(), String> {
        let shard = evaluation.shard.ok_or("a report to merge was written without --shard")?;
        if shard.count != count {
            return Err(format!("shard {shard} is not one of {count} shards"));
        }
        if std::mem::replace(&mut seen[shard.index], true) {
            return Err(format!("shard {shard} is given twice"));
        }
        Ok(())
    };
    mark(&merged)?;
    for (evaluation, shard_rule) in shards {
        mark(&evaluation)?;
        let what = if evaluation.model != merged.model {
            Some("model")
        } else if evaluation.classes != merged.classes {
            Some("classes")
        } else if evaluation.data != merged.data {
            Some("folder")
        } else if shard_rule != rule {
            Some("decision rule")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(format!("shard {} has another {what} than shard {}", evaluation.shard.unwrap_or(Shard { index: 0, count }), merged.shard.unwrap_or(Shard { index: 0, count })));
        }
        merged.complete &= evaluation.complete;
        // Boxes given to every shard, or to none: a share of them would be no figure.
        merged.pointing_game = match (merged.pointing_game, evaluation.pointing_game) {
            (Some(a), Some(b)) => Some(a.merged(b)),
            _ => None,
        };
        merged.predictions.extend(evaluation.predictions);
        merged.skipped.extend(evaluation.skipped);
    }
    let missing: Vec<String> = (0..count).filter(|&index| !seen[index]).map(|index| format!("{index}/{count}")).collect();
    if !missing.is_empty() {
        return Err(format!("missing shard{}: {}", if missing.len() == 1 { "" } else { "s" }, missing.join(", ")));
    }
    merged.shard = None;
    merged.sort();
    Ok((merged, rule))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ModelInfo;

    #[test]
    fn every_path_lands_in_exactly_one_shard() {
        for count in [1, 3, 7] {
            for name in ["logo/a.jpg", "others/b.png", "x", "café/☕.jpg"] {
                let holders = (0..count).filter(|&index| Shard { index, count }.holds(name)).count();
                assert_eq!(holders, 1, "{name} in {count} shards");
            }
        }
        assert_eq!(Shard::parse("2/7").unwrap(), Shard { index: 2, count: 7 });
        for bad in ["7/7", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    fn shard(index: usize, count: usize, paths: &[&str]) -> (Evaluation, DecisionRule) {
        let mut evaluation = Evaluation::new(ModelInfo::default(), vec!["a".into(), "b".into()], "data");
        for path in paths {
            evaluation.add(*path, 0, vec![0.6, 0.4]).unwrap();
        }
        evaluation.shard = Some(Shard { index, count });
        (evaluation, DecisionRule::Argmax)
    }

    #[test]
    fn merging_needs_every_shard_once() {
        let (merged, _) = merge(vec![shard(1, 2, &["data/b"]), shard(0, 2, &["data/c", "data/a"])]).unwrap();
        assert_eq!(merged.predictions.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(), ["data/a", "data/b", "data/c"]);
        assert_eq!(merged.shard, None);
        assert_eq!(merge(vec![shard(0, 3, &[]), shard(2, 3, &[])]).unwrap_err(), "missing shard: 1/3");
        assert_eq!(merge(vec![shard(0, 2, &[]), shard(0, 2, &[])]).unwrap_err(), "shard 0/2 is given twice");
        let (mut other, rule) = shard(1, 2, &[]);
        other.classes = vec!["a".into(), "c".into()];
        assert!(merge(vec![shard(0, 2, &[]), (other, rule)]).unwrap_err().contains("another classes"));
    }
}
