//! Confusion matrix and the figures derived from it.
//!
//! Our own rather than burn-train's metrics: those stream per-batch numeric entries into its
//! `Learner`'s dashboard and logs, while `trainer train` and `trainer eval` need the N×N matrix
//! itself (printed, and in metrics.json and predictions.json) and per-class precision, recall and
//! F1 derived from it. The page computes the same figures from the same matrix (`www/metrics.js`).

use serde_json::{Value, json};

/// Counts of (true class, predicted class) pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Confusion {
    classes: usize,
    /// Row-major: `counts[truth * classes + predicted]`.
    counts: Vec<u64>,
}

impl Confusion {
    pub fn new(classes: usize) -> Self {
        Self { classes, counts: vec![0; classes * classes] }
    }

    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    pub fn count(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.classes).map(|class| self.count(class, class)).sum();
        ratio(correct, self.total())
    }

    /// Of the images predicted as `class`, the share that are (0 when none were predicted).
    pub fn precision(&self, class: usize) -> f64 {
        ratio(self.count(class, class), (0..self.classes).map(|truth| self.count(truth, class)).sum())
    }

    /// Of the images of `class`, the share predicted as such (0 when there were none).
    pub fn recall(&self, class: usize) -> f64 {
        ratio(self.count(class, class), (0..self.classes).map(|predicted| self.count(class, predicted)).sum())
    }

    pub fn f1(&self, class: usize) -> f64 {
        let (precision, recall) = (self.precision(class), self.recall(class));
        if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) }
    }

    /// The matrix and per-class figures as a text table.
    pub fn report(&self, names: &[String]) -> String {
        let width = names.iter().map(|name| name.chars().count()).max().unwrap_or(5).max(9);
        let mut text = format!("{:>width$}  predicted →\n{:>width$}", "true ↓", "");
        for name in names {
            text += &format!(" {name:>width$}");
        }
        text.push('\n');
        for (truth, name) in names.iter().enumerate() {
            text += &format!("{name:>width$}");
            for predicted in 0..self.classes {
                text += &format!(" {:>width$}", self.count(truth, predicted));
            }
            text.push('\n');
        }
        text += &format!("\n{:>width$} {:>9} {:>9} {:>9} {:>9}\n", "class", "precision", "recall", "f1", "images");
        for (class, name) in names.iter().enumerate() {
            let images: u64 = (0..self.classes).map(|predicted| self.count(class, predicted)).sum();
            text += &format!(
                "{name:>width$} {:>9.4} {:>9.4} {:>9.4} {images:>9}\n",
                self.precision(class),
                self.recall(class),
                self.f1(class)
            );
        }
        text += &format!("\naccuracy {:.4} ({} images)\n", self.accuracy(), self.total());
        text
    }

    pub fn to_json(&self, names: &[String]) -> Value {
        let matrix: Vec<Vec<u64>> =
            (0..self.classes).map(|truth| (0..self.classes).map(|p| self.count(truth, p)).collect()).collect();
        let per_class: serde_json::Map<String, Value> = names
            .iter()
            .enumerate()
            .map(|(class, name)| {
                let figures = json!({
                    "precision": self.precision(class),
                    "recall": self.recall(class),
                    "f1": self.f1(class),
                });
                (name.clone(), figures)
            })
            .collect();
        json!({
            "classes": names,
            "confusion_matrix": matrix,
            "accuracy": self.accuracy(),
            "images": self.total(),
            "per_class": per_class,
        })
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 { 0.0 } else { numerator as f64 / denominator as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_match_a_hand_count() {
        let mut confusion = Confusion::new(2);
        for (truth, predicted, times) in [(0, 0, 8), (0, 1, 2), (1, 0, 1), (1, 1, 9)] {
            for _ in 0..times {
                confusion.add(truth, predicted);
            }
        }
        assert_eq!(confusion.total(), 20);
        assert!((confusion.accuracy() - 17.0 / 20.0).abs() < 1e-12);
        assert!((confusion.precision(0) - 8.0 / 9.0).abs() < 1e-12);
        assert!((confusion.recall(0) - 8.0 / 10.0).abs() < 1e-12);
        assert!((confusion.f1(1) - 2.0 * (9.0 / 11.0) * 0.9 / (9.0 / 11.0 + 0.9)).abs() < 1e-12);
        let names = vec!["logo".to_owned(), "others".to_owned()];
        assert!(confusion.report(&names).contains("accuracy 0.8500 (20 images)"));
    }

    #[test]
    fn empty_classes_give_zero_not_nan() {
        let confusion = Confusion::new(3);
        assert_eq!((confusion.precision(1), confusion.recall(1), confusion.f1(1)), (0.0, 0.0, 0.0));
    }
}
