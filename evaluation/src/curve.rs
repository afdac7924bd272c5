//! The precision–recall curve of one class taken as positive, and its average precision.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Predict positive when `p(positive) >= threshold`; `None` for the curve's start, above
    /// every score.
    pub threshold: Option<f32>,
    pub precision: f64,
    pub recall: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecisionRecall {
    /// By rising recall, from (recall 0, precision 1); one point per distinct score.
    pub points: Vec<CurvePoint>,
    /// Step-wise area under the curve, as scikit-learn computes it; `None` without positives.
    pub average_precision: Option<f64>,
    pub positives: u64,
}

/// The curve over `(score of the positive class, is positive)` pairs, swept over every distinct
/// score. Images with equal scores cross the threshold together.
pub fn precision_recall(scored: impl IntoIterator<Item = (f32, bool)>) -> PrecisionRecall {
    let mut scored: Vec<(f32, bool)> = scored.into_iter().collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = scored.iter().filter(|(_, positive)| *positive).count() as u64;
    if positives == 0 {
        return PrecisionRecall { points: Vec::new(), average_precision: None, positives };
    }
    let mut points = vec![CurvePoint { threshold: None, precision: 1.0, recall: 0.0 }];
    let (mut true_positives, mut false_positives) = (0u64, 0u64);
    let mut average_precision = 0.0;
    for (index, &(score, positive)) in scored.iter().enumerate() {
        if positive {
            true_positives += 1;
        } else {
            false_positives += 1;
        }
        if scored.get(index + 1).is_some_and(|next| next.0 == score) {
            continue;
        }
        let recall = true_positives as f64 / positives as f64;
        let precision = true_positives as f64 / (true_positives + false_positives) as f64;
        average_precision += (recall - points.last().expect("starts with one point").recall) * precision;
        points.push(CurvePoint { threshold: Some(score), precision, recall });
    }
    PrecisionRecall { points, average_precision: Some(average_precision), positives }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_precision_matches_scikit_learn() {
        // sklearn.metrics.average_precision_score([1, 0, 1, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.2]) = 0.8055…
        let curve = precision_recall([(0.9, true), (0.8, false), (0.7, true), (0.6, true), (0.2, false)]);
        let expected = (1.0 + 2.0 / 3.0 + 3.0 / 4.0) / 3.0;
        assert!((curve.average_precision.unwrap() - expected).abs() < 1e-12);
        assert_eq!(curve.points.len(), 6);
        assert_eq!(curve.points.last().unwrap().recall, 1.0);
    }

    #[test]
    fn equal_scores_make_one_point_and_no_positives_no_curve() {
        let curve = precision_recall([(0.5, true), (0.5, false), (0.1, true)]);
        assert_eq!(curve.points.len(), 3);
        assert_eq!(curve.points[1].precision, 0.5);
        assert_eq!(precision_recall([(0.3, false)]).average_precision, None);
    }
}
