// Evaluation arithmetic: decision rule, confusion matrix, per-class metrics, precision–recall
// curve, throughput. Pure functions over plain data so `node --test` can check them without a
// browser (tests/page/metrics.test.mjs).
//
// A "record" is one classified image: { path, trueIndex, probabilities } where probabilities
// is an array-like of numbers in model class order.

/** Threshold the slider starts at. At this value the page predicts with plain argmax. */
export const DEFAULT_THRESHOLD = 0.5;

/** Index of the largest probability; the first one wins a tie. */
export function argmax(probabilities) {
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) {
    if (probabilities[i] > probabilities[best]) best = i;
  }
  return best;
}

/**
 * The decision rule for a threshold and positive class, or null for plain argmax.
 * At the default threshold the rule is argmax, so that what the page reports (and writes to
 * predictions.txt) matches `trainer eval`; for two classes the two differ only when
 * p(positive) is exactly 0.5.
 */
export function decisionRule({ classCount, positive, threshold }) {
  if (classCount !== 2 || threshold === DEFAULT_THRESHOLD) return null;
  return { positive, threshold };
}

/** Predicted class index under a rule from decisionRule(): positive iff p(positive) ≥ threshold. */
export function predictIndex(probabilities, rule) {
  if (!rule) return argmax(probabilities);
  return probabilities[rule.positive] >= rule.threshold ? rule.positive : 1 - rule.positive;
}

/** N×N counts, rows = true class, columns = predicted class. */
export function confusionMatrix(records, classCount, rule = null) {
  const matrix = Array.from({ length: classCount }, () => new Array(classCount).fill(0));
  for (const record of records) {
    matrix[record.trueIndex][predictIndex(record.probabilities, rule)] += 1;
  }
  return matrix;
}

/** Ratio, or null when the denominator is zero (metric undefined, shown as "—"). */
function ratio(numerator, denominator) {
  return denominator === 0 ? null : numerator / denominator;
}

/**
 * Precision, recall and F1 of each class (one-vs-rest) from a confusion matrix.
 * Each entry: { precision, recall, f1, support (true count), predicted (predicted count) };
 * a metric whose denominator is zero is null.
 */
export function perClassMetrics(matrix) {
  const n = matrix.length;
  return matrix.map((row, c) => {
    const truePositives = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < n; r++) predicted += matrix[r][c];
    const precision = ratio(truePositives, predicted);
    const recall = ratio(truePositives, support);
    const f1 =
      precision === null || recall === null
        ? null
        : precision + recall === 0
          ? 0
          : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support, predicted };
  });
}

/** Fraction on the diagonal, or null for an empty matrix. */
export function accuracy(matrix) {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, r) =>
    row.forEach((count, c) => {
      total += count;
      if (r === c) correct += count;
    }),
  );
  return ratio(correct, total);
}

/** Mean of a per-class metric over the classes where it is defined, or null. */
export function macroAverage(perClass, key) {
  const defined = perClass.map((m) => m[key]).filter((v) => v !== null);
  return defined.length === 0 ? null : defined.reduce((a, b) => a + b, 0) / defined.length;
}

/**
 * Precision–recall curve for one class taken as positive, by sweeping the threshold over every
 * distinct score (predict positive iff p(positive) ≥ threshold).
 * Returns { points: [{ threshold, precision, recall }] ordered by rising recall, starting at
 * recall 0 / precision 1, averagePrecision (step-wise area, as scikit-learn computes it),
 * positives }. With no positive example recall is undefined: points is empty, AP is null.
 */
export function precisionRecallCurve(records, positive) {
  const scored = records
    .map((r) => ({ score: r.probabilities[positive], isPositive: r.trueIndex === positive }))
    .sort((a, b) => b.score - a.score);
  const positives = scored.filter((s) => s.isPositive).length;
  if (positives === 0) return { points: [], averagePrecision: null, positives };

  const points = [{ threshold: Infinity, precision: 1, recall: 0 }];
  let truePositives = 0;
  let falsePositives = 0;
  let averagePrecision = 0;
  for (let i = 0; i < scored.length; i++) {
    if (scored[i].isPositive) truePositives += 1;
    else falsePositives += 1;
    // Records with equal scores cross the threshold together: emit one point per distinct score.
    if (i + 1 < scored.length && scored[i + 1].score === scored[i].score) continue;
    const recall = truePositives / positives;
    const precision = truePositives / (truePositives + falsePositives);
    averagePrecision += (recall - points[points.length - 1].recall) * precision;
    points.push({ threshold: scored[i].score, precision, recall });
  }
  return { points, averagePrecision, positives };
}

/**
 * Where a record falls relative to one class: "tp", "fp", "fn" or "tn".
 * For two-class models that class is the chosen positive class.
 */
export function outcomeFor(trueIndex, predictedIndex, positive) {
  const isTrue = trueIndex === positive;
  const isPredicted = predictedIndex === positive;
  if (isTrue && isPredicted) return 'tp';
  if (isPredicted) return 'fp';
  if (isTrue) return 'fn';
  return 'tn';
}

/** Table filters: "all", "mistakes", "false-positives", "false-negatives" (relative to positive). */
export function matchesFilter(filter, trueIndex, predictedIndex, positive) {
  switch (filter) {
    case 'mistakes':
      return trueIndex !== predictedIndex;
    case 'false-positives':
      return outcomeFor(trueIndex, predictedIndex, positive) === 'fp';
    case 'false-negatives':
      return outcomeFor(trueIndex, predictedIndex, positive) === 'fn';
    default:
      return true;
  }
}

/** Images per second and seconds left, from progress so far; null where not yet meaningful. */
export function throughput(done, total, elapsedMs) {
  if (done === 0 || elapsedMs <= 0) return { perSecond: null, etaSeconds: null };
  const perSecond = (done * 1000) / elapsedMs;
  return { perSecond, etaSeconds: (total - done) / perSecond };
}
