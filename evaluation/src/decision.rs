//! Which class an image is predicted as, from its probabilities.

use serde::{Deserialize, Serialize};

/// Argmax (the default), or a threshold on one class of a two-class model. One convention at
/// every threshold, 0.5 included: the positive class when `p(positive) >= threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "lowercase")]
pub enum DecisionRule {
    Argmax,
    Threshold { positive: usize, threshold: f64 },
}

impl DecisionRule {
    /// A threshold rule, checked against the model's classes.
    pub fn threshold(classes: &[String], positive: &str, threshold: f64) -> Result<Self, String> {
        if classes.len() != 2 {
            return Err(format!("a threshold needs a two-class model; this one has {} classes", classes.len()));
        }
        if !(0.0..=1.0).contains(&threshold) {
            return Err(format!("the threshold must be between 0 and 1, not {threshold}"));
        }
        let positive = classes
            .iter()
            .position(|class| class == positive)
            .ok_or_else(|| format!("'{positive}' is not a class ({})", classes.join(", ")))?;
        Ok(Self::Threshold { positive, threshold })
    }

    /// The predicted class. Argmax: the first of equally likely classes.
    pub fn decide(&self, probabilities: &[f32]) -> usize {
        match *self {
            Self::Threshold { positive, threshold } => {
                if f64::from(probabilities[positive]) >= threshold { positive } else { 1 - positive }
            }
            Self::Argmax => {
                let mut best = 0;
                for (class, &probability) in probabilities.iter().enumerate() {
                    if probability > probabilities[best] {
                        best = class;
                    }
                }
                best
            }
        }
    }

    /// One line: `argmax`, or `logo when p(logo) >= 0.7`.
    pub fn describe(&self, classes: &[String]) -> String {
        match *self {
            Self::Argmax => "argmax (the most probable class)".to_owned(),
            Self::Threshold { positive, threshold } => {
                let name = &classes[positive];
                format!("{name} when p({name}) >= {threshold}, else {}", classes[1 - positive])
            }
        }
    }
}

/// Every class, the most probable first; equally probable ones in class order. What a top-k
/// shows (`trainer predict --top-k`, the page's bars for a model of many classes).
pub fn ranked(probabilities: &[f32]) -> Vec<usize> {
    let mut classes: Vec<usize> = (0..probabilities.len()).collect();
    classes.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranked_puts_the_most_probable_first_and_keeps_ties_in_class_order() {
        assert_eq!(ranked(&[0.1, 0.4, 0.1, 0.4]), [1, 3, 0, 2]);
        assert_eq!(ranked(&[0.1, 0.4, 0.1, 0.4])[0], DecisionRule::Argmax.decide(&[0.1, 0.4, 0.1, 0.4]));
        assert!(ranked(&[]).is_empty());
    }

    fn classes() -> Vec<String> {
        vec!["logo".to_owned(), "others".to_owned()]
    }

    #[test]
    fn a_threshold_includes_its_own_value_at_every_threshold() {
        for threshold in [0.3, 0.5, 0.7] {
            let rule = DecisionRule::threshold(&classes(), "logo", threshold).unwrap();
            let at = threshold as f32;
            assert_eq!(rule.decide(&[at, 1.0 - at]), usize::from(f64::from(at) < threshold), "at {threshold}");
            assert_eq!(rule.decide(&[at - 0.01, 1.01 - at]), 1);
        }
        let rule = DecisionRule::threshold(&classes(), "others", 0.5).unwrap();
        assert_eq!(rule.decide(&[0.5, 0.5]), 1, "positive 'others' at exactly 0.5");
    }

    #[test]
    fn argmax_picks_the_first_of_a_tie() {
        assert_eq!(DecisionRule::Argmax.decide(&[0.5, 0.5]), 0);
        assert_eq!(DecisionRule::Argmax.decide(&[0.2, 0.3, 0.5]), 2);
    }

    #[test]
    fn bad_thresholds_say_why() {
        assert!(DecisionRule::threshold(&classes(), "cat", 0.5).unwrap_err().contains("'cat' is not a class"));
        assert!(DecisionRule::threshold(&classes(), "logo", 1.5).unwrap_err().contains("between 0 and 1"));
        let three: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert!(DecisionRule::threshold(&three, "a", 0.5).unwrap_err().contains("two-class"));
    }
}
