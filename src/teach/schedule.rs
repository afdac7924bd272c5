//! Learning-rate schedules as pure functions of the global step, so a resumed run needs no
//! scheduler state to continue exactly (burn's schedulers are stateful iterators).

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Linear warm-up, then cosine decay to zero.
    Cosine,
    /// The same rate throughout (after the warm-up).
    Constant,
}

impl Schedule {
    pub const NAMES: [&'static str; 2] = ["cosine", "constant"];


    pub fn learning_rate(self, base: f64, step: usize, warmup_steps: usize, total_steps: usize) -> f64 {
        if step < warmup_steps {
            return base * (step + 1) as f64 / warmup_steps as f64;
        }
        match self {
            Schedule::Constant => base,
            Schedule::Cosine => {
                let span = total_steps.saturating_sub(warmup_steps).max(1) as f64;
                let progress = ((step - warmup_steps) as f64 / span).min(1.0);
                base * 0.5 * (1.0 + (PI * progress).cos())
            }
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Schedule::Cosine => "cosine",
            Schedule::Constant => "constant",
        })
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "cosine" => Ok(Schedule::Cosine),
            "constant" => Ok(Schedule::Constant),
            other => Err(format!("unknown schedule '{other}' (expected {})", Self::NAMES.join(" or "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_then_decays() {
        let lr = |step| Schedule::Cosine.learning_rate(0.1, step, 10, 110);
        assert!((lr(0) - 0.01).abs() < 1e-12);
        assert!((lr(9) - 0.1).abs() < 1e-12);
        assert!((lr(10) - 0.1).abs() < 1e-12);
        assert!((lr(60) - 0.05).abs() < 1e-12);
        assert!(lr(109) < 1e-3);
        assert_eq!(Schedule::Constant.learning_rate(0.1, 50, 10, 110), 0.1);
    }
}
