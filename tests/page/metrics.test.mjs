// Unit tests for www/metrics.js (pure node, no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_THRESHOLD,
  accuracy,
  argmax,
  confusionMatrix,
  decisionRule,
  macroAverage,
  matchesFilter,
  outcomeFor,
  perClassMetrics,
  precisionRecallCurve,
  predictIndex,
  throughput,
} from '../../www/metrics.js';

const record = (trueIndex, ...probabilities) => ({ path: `p${Math.random()}`, trueIndex, probabilities });

test('argmax takes the first of equal maxima', () => {
  assert.equal(argmax([0.1, 0.7, 0.2]), 1);
  assert.equal(argmax([0.5, 0.5]), 0);
  assert.equal(argmax(Float32Array.of(0.2, 0.3, 0.3)), 1);
});

test('the default threshold means argmax; other thresholds make a two-class rule', () => {
  assert.equal(DEFAULT_THRESHOLD, 0.5);
  assert.equal(decisionRule({ classCount: 2, positive: 0, threshold: 0.5 }), null);
  assert.equal(decisionRule({ classCount: 3, positive: 0, threshold: 0.9 }), null);
  assert.deepEqual(decisionRule({ classCount: 2, positive: 1, threshold: 0.8 }), { positive: 1, threshold: 0.8 });
});

test('predicted positive iff p(positive) >= threshold', () => {
  const rule = { positive: 0, threshold: 0.8 };
  assert.equal(predictIndex([0.8, 0.2], rule), 0, 'equal to the threshold counts as positive');
  assert.equal(predictIndex([0.79, 0.21], rule), 1);
  assert.equal(predictIndex([0.3, 0.7], { positive: 1, threshold: 0.75 }), 0);
  assert.equal(predictIndex([0.3, 0.7], null), 1);
  // At exactly 0.5 the default (argmax) keeps the trainer's tie-break: the first class.
  assert.equal(predictIndex([0.5, 0.5], decisionRule({ classCount: 2, positive: 1, threshold: 0.5 })), 0);
});

test('confusion matrix: rows are true classes, columns predicted', () => {
  const records = [record(0, 0.9, 0.1), record(0, 0.4, 0.6), record(1, 0.2, 0.8), record(1, 0.6, 0.4), record(1, 0.1, 0.9)];
  assert.deepEqual(confusionMatrix(records, 2), [
    [1, 1],
    [1, 2],
  ]);
  // Raising the bar for class 0 turns the 0.6 into a "1".
  assert.deepEqual(confusionMatrix(records, 2, { positive: 0, threshold: 0.7 }), [
    [1, 1],
    [0, 3],
  ]);
  assert.deepEqual(confusionMatrix([], 3), [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ]);
});

test('per-class precision, recall and F1 from the matrix', () => {
  const [logo, others] = perClassMetrics([
    [8, 2],
    [1, 9],
  ]);
  assert.equal(logo.precision, 8 / 9);
  assert.equal(logo.recall, 0.8);
  assert.ok(Math.abs(logo.f1 - (2 * (8 / 9) * 0.8) / (8 / 9 + 0.8)) < 1e-12);
  assert.equal(logo.support, 10);
  assert.equal(logo.predicted, 9);
  assert.equal(others.precision, 9 / 11);
  assert.equal(others.recall, 0.9);
});

test('metrics with a zero denominator are null, not NaN', () => {
  // Class 2 never occurs and is never predicted; class 1 is never predicted.
  const metrics = perClassMetrics([
    [3, 0, 0],
    [2, 0, 0],
    [0, 0, 0],
  ]);
  assert.equal(metrics[1].precision, null);
  assert.equal(metrics[1].recall, 0);
  assert.equal(metrics[1].f1, null);
  assert.equal(metrics[2].recall, null);
  assert.equal(metrics[2].precision, null);
  // Precision and recall both 0 → F1 is 0.
  const zero = perClassMetrics([
    [0, 1],
    [1, 0],
  ]);
  assert.equal(zero[0].f1, 0);
});

test('accuracy and macro averages', () => {
  assert.equal(accuracy([
    [8, 2],
    [1, 9],
  ]), 17 / 20);
  assert.equal(accuracy([
    [0, 0],
    [0, 0],
  ]), null);
  assert.equal(macroAverage([{ f1: 0.5 }, { f1: null }, { f1: 1 }], 'f1'), 0.75);
  assert.equal(macroAverage([{ f1: null }], 'f1'), null);
});

test('precision–recall curve and average precision (as scikit-learn)', () => {
  // sklearn.metrics.average_precision_score([1,1,0,1,0], [.9,.8,.7,.6,.3]) == 0.91666…
  const records = [0.9, 0.8, 0.7, 0.6, 0.3].map((p, i) => record([0, 0, 1, 0, 1][i], p, 1 - p));
  const curve = precisionRecallCurve(records, 0);
  assert.equal(curve.positives, 3);
  assert.ok(Math.abs(curve.averagePrecision - (1 / 3 + 1 / 3 + (1 / 3) * 0.75)) < 1e-12);
  assert.deepEqual(curve.points[0], { threshold: Infinity, precision: 1, recall: 0 });
  assert.deepEqual(
    curve.points.slice(1).map((p) => [p.threshold, p.precision, p.recall]),
    [
      [0.9, 1, 1 / 3],
      [0.8, 1, 2 / 3],
      [0.7, 2 / 3, 2 / 3],
      [0.6, 0.75, 1],
      [0.3, 0.6, 1],
    ],
  );
});

test('precision–recall curve: equal scores cross the threshold together; no positives', () => {
  const records = [record(0, 0.7, 0.3), record(1, 0.7, 0.3), record(0, 0.2, 0.8)];
  const curve = precisionRecallCurve(records, 0);
  assert.deepEqual(
    curve.points.slice(1).map((p) => [p.threshold, p.precision, p.recall]),
    [
      [0.7, 0.5, 0.5],
      [0.2, 2 / 3, 1],
    ],
  );
  const none = precisionRecallCurve([record(1, 0.4, 0.6)], 0);
  assert.deepEqual(none, { points: [], averagePrecision: null, positives: 0 });
});

test('outcomes and table filters relative to the positive class', () => {
  assert.equal(outcomeFor(0, 0, 0), 'tp');
  assert.equal(outcomeFor(1, 0, 0), 'fp');
  assert.equal(outcomeFor(0, 1, 0), 'fn');
  assert.equal(outcomeFor(1, 1, 0), 'tn');
  assert.equal(outcomeFor(2, 1, 0), 'tn', 'a mistake between two other classes is a true negative for class 0');
  assert.equal(matchesFilter('all', 0, 0, 0), true);
  assert.equal(matchesFilter('mistakes', 0, 0, 0), false);
  assert.equal(matchesFilter('mistakes', 2, 1, 0), true);
  assert.equal(matchesFilter('false-positives', 1, 0, 0), true);
  assert.equal(matchesFilter('false-positives', 0, 1, 0), false);
  assert.equal(matchesFilter('false-negatives', 0, 1, 0), true);
  assert.equal(matchesFilter('false-negatives', 1, 0, 0), false);
  assert.equal(matchesFilter('false-positives', 0, 1, 1), true, 'relative to the chosen positive class');
});

test('throughput: images per second and time left', () => {
  assert.deepEqual(throughput(0, 100, 0), { perSecond: null, etaSeconds: null });
  assert.deepEqual(throughput(20, 100, 2000), { perSecond: 10, etaSeconds: 8 });
  assert.deepEqual(throughput(100, 100, 5000), { perSecond: 20, etaSeconds: 0 });
});
