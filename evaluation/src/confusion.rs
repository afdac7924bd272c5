//! The confusion matrix and the figures derived from it.
//!
//! One convention for undefined figures, everywhere: a ratio whose denominator is zero is `None`
//! (JSON `null`, shown as "—"), never 0. F1 is `2·TP / (2·TP + FP + FN)`, undefined only for a
//! class that is neither present nor predicted. Macro averages are taken over the classes where
//! the figure is defined.

use serde::{Deserialize, Serialize};

/// Counts of (true class, predicted class) pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confusion {
    classes: usize,
    /// Row-major: `counts[truth * classes + predicted]`.
    counts: Vec<u64>,
}

/// One class's figures, one-vs-rest.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassFigures {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    /// Images of this class.
    pub support: u64,
    /// Images predicted as this class.
    pub predicted: u64,
}

/// Unweighted means over the classes where each figure is defined.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MacroFigures {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

impl Confusion {
    pub fn new(classes: usize) -> Self {
        Self { classes, counts: vec![0; classes * classes] }
    }

    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    pub fn count(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Rows are true classes, columns predicted ones.
    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.counts.chunks(self.classes.max(1)).map(<[u64]>::to_vec).take(self.classes).collect()
    }

    /// The classes that occur, as a true class or as a prediction, in class order.
    pub fn occurring(&self) -> Vec<usize> {
        (0..self.classes)
            .filter(|&class| (0..self.classes).any(|other| self.count(class, other) > 0 || self.count(other, class) > 0))
            .collect()
    }

    pub fn accuracy(&self) -> Option<f64> {
        ratio((0..self.classes).map(|class| self.count(class, class)).sum(), self.total())
    }

    pub fn class_figures(&self, class: usize) -> ClassFigures {
        let hits = self.count(class, class);
        let support: u64 = (0..self.classes).map(|predicted| self.count(class, predicted)).sum();
        let predicted: u64 = (0..self.classes).map(|truth| self.count(truth, class)).sum();
        ClassFigures {
            precision: ratio(hits, predicted),
            recall: ratio(hits, support),
            f1: ratio(2 * hits, support + predicted),
            support,
            predicted,
        }
    }

    pub fn per_class(&self) -> Vec<ClassFigures> {
        (0..self.classes).map(|class| self.class_figures(class)).collect()
    }

    pub fn macro_figures(&self) -> MacroFigures {
        let per_class = self.per_class();
        let mean = |figure: fn(&ClassFigures) -> Option<f64>| {
            let defined: Vec<f64> = per_class.iter().filter_map(figure).collect();
            (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64)
        };
        MacroFigures { precision: mean(|c| c.precision), recall: mean(|c| c.recall), f1: mean(|c| c.f1) }
    }

    /// The matrix and per-class figures as a text table, undefined figures as "—".
    pub fn text(&self, names: &[String]) -> String {
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
        for (figures, name) in self.per_class().iter().zip(names) {
            text += &format!(
                "{name:>width$} {:>9} {:>9} {:>9} {:>9}\n",
                fixed4(figures.precision),
                fixed4(figures.recall),
                fixed4(figures.f1),
                figures.support
            );
        }
        let averages = self.macro_figures();
        text += &format!(
            "{:>width$} {:>9} {:>9} {:>9} {:>9}\n",
            "macro",
            fixed4(averages.precision),
            fixed4(averages.recall),
            fixed4(averages.f1),
            self.total()
        );
        text += &format!("\naccuracy {} ({} images)\n", fixed4(self.accuracy()), self.total());
        text
    }
}

fn fixed4(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value:.4}"))
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_occurring_classes_are_the_true_and_the_predicted_ones() {
        let mut confusion = Confusion::new(5);
        confusion.add(3, 1);
        confusion.add(3, 3);
        assert_eq!(confusion.occurring(), [1, 3]);
        assert!(Confusion::new(3).occurring().is_empty());
    }

    fn filled(cells: &[(usize, usize, u64)], classes: usize) -> Confusion {
        let mut confusion = Confusion::new(classes);
        for &(truth, predicted, times) in cells {
            for _ in 0..times {
                confusion.add(truth, predicted);
            }
        }
        confusion
    }

    #[test]
    fn figures_match_a_hand_count() {
        let confusion = filled(&[(0, 0, 8), (0, 1, 2), (1, 0, 1), (1, 1, 9)], 2);
        assert_eq!(confusion.total(), 20);
        assert_eq!(confusion.accuracy(), Some(17.0 / 20.0));
        let logo = confusion.class_figures(0);
        assert_eq!((logo.precision, logo.recall, logo.support, logo.predicted), (Some(8.0 / 9.0), Some(0.8), 10, 9));
        let f1 = 2.0 * (9.0 / 11.0) * 0.9 / (9.0 / 11.0 + 0.9);
        assert!((confusion.class_figures(1).f1.unwrap() - f1).abs() < 1e-12);
        assert_eq!(confusion.rows(), [[8, 2], [1, 9]]);
        let names = vec!["logo".to_owned(), "others".to_owned()];
        assert!(confusion.text(&names).contains("accuracy 0.8500 (20 images)"));
    }

    #[test]
    fn undefined_figures_are_none_and_left_out_of_macro_averages() {
        // Class 2 is absent and never predicted; class 1 is present but never predicted.
        let confusion = filled(&[(0, 0, 3), (1, 0, 1)], 3);
        let never_predicted = confusion.class_figures(1);
        assert_eq!((never_predicted.precision, never_predicted.recall, never_predicted.f1), (None, Some(0.0), Some(0.0)));
        let absent = confusion.class_figures(2);
        assert_eq!((absent.precision, absent.recall, absent.f1), (None, None, None));
        let averages = confusion.macro_figures();
        assert_eq!(averages.precision, Some(0.75), "class 0 alone");
        assert_eq!(averages.recall, Some(0.5), "classes 0 and 1");
        assert_eq!(Confusion::new(2).accuracy(), None);
        assert!(confusion.text(&["a".into(), "b".into(), "c".into()]).contains('—'));
    }
}
