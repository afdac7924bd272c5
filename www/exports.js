// Download formats for an evaluation: predictions.txt (the trainer's format), CSV and JSON.
// Pure functions; tested in tests/page/exports.test.mjs.
import { predictIndex } from './metrics.js';
import { compareBytewise } from './path-order.js';

/**
 * `x` with `digits` decimals, rounded the way Rust's `format!("{:.5}", x)` rounds: from the
 * exact binary value, ties to even. (Number.prototype.toFixed breaks ties upwards, so a
 * probability of exactly 0.015625 would print differently from the trainer.)
 * Exact for any double, hence for the f32 values the classifier returns.
 */
export function formatFixed(x, digits) {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent;
  if (biasedExponent === 0) {
    exponent = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    exponent = biasedExponent - 1075;
  }
  // |x| = mantissa · 2^exponent; scaled = round(|x| · 10^digits), ties to even.
  const numerator = mantissa * 10n ** BigInt(digits);
  let scaled;
  if (exponent >= 0) {
    scaled = numerator << BigInt(exponent);
  } else {
    const denominator = 1n << BigInt(-exponent);
    scaled = numerator / denominator;
    const twiceRemainder = 2n * (numerator - scaled * denominator);
    if (twiceRemainder > denominator || (twiceRemainder === denominator && (scaled & 1n) === 1n)) {
      scaled += 1n;
    }
  }
  const text = scaled.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = text.slice(text.length - digits);
  return (negative ? '-' : '') + whole + (digits > 0 ? '.' + fraction : '');
}

function oneHot(index, classCount) {
  return Array.from({ length: classCount }, (_, i) => (i === index ? '1' : '0'));
}

/** Records sorted by path, bytewise (the order of the trainer's predictions.txt). */
export function sortedByPath(records) {
  return [...records].sort((a, b) => compareBytewise(a.path, b.path));
}

/**
 * predictions.txt exactly as `trainer eval` writes it: per image, the class probabilities with
 * 5 decimals, the one-hot true class, the one-hot predicted class, then the path, separated by
 * single spaces, one line per image, sorted by path bytewise, ending with a newline.
 *
 * Paths: a browser never reveals where a picked folder lives on disk, only its own name, so the
 * path is the file's path as webkitRelativePath gives it: `<root folder name>/<class>/<file>`
 * (e.g. `val/logo/13.jpeg` where the trainer, run as `trainer eval ./data/val`, writes
 * `./data/val/logo/13.jpeg`). The part from the root folder's name on is identical.
 *
 * The predicted class follows the page's current decision rule; at the default threshold that is
 * argmax, as in the trainer.
 */
export function predictionsTxt(records, classCount, rule = null) {
  return sortedByPath(records)
    .map((record) => {
      const probabilities = Array.from(record.probabilities, (p) => formatFixed(p, 5));
      const predicted = predictIndex(record.probabilities, rule);
      return [
        ...probabilities,
        ...oneHot(record.trueIndex, classCount),
        ...oneHot(predicted, classCount),
        record.path,
      ].join(' ');
    })
    .map((line) => line + '\n')
    .join('');
}

/**
 * One CSV field (RFC 4180 quoting). Text that a spreadsheet would run as a formula (starting with
 * = + - @ tab or CR) gets a leading apostrophe, since file names come from whoever made the files.
 */
export function csvField(value) {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

/** CSV with a header row: path, true, predicted, correct, then p(<class>) per class. */
export function predictionsCsv(records, classes, rule = null) {
  const header = ['path', 'true', 'predicted', 'correct', ...classes.map((c) => `p(${c})`)];
  const rows = sortedByPath(records).map((record) => {
    const predicted = predictIndex(record.probabilities, rule);
    return [
      record.path,
      classes[record.trueIndex],
      classes[predicted],
      record.trueIndex === predicted ? 'yes' : 'no',
      ...Array.from(record.probabilities, (p) => formatFixed(p, 5)),
    ];
  });
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * The whole evaluation as JSON: model, backend, decision rule, metrics, every prediction and every
 * skipped file with its reason.
 */
export function evaluationJson({ model, backend, rule, matrix, perClass, accuracy, records, skipped, cancelled }) {
  const classes = model.classes;
  return JSON.stringify(
    {
      model: { name: model.name, arch: model.arch, classes },
      backend,
      decision: rule
        ? { kind: 'threshold', positive: classes[rule.positive], threshold: rule.threshold }
        : { kind: 'argmax' },
      cancelled: Boolean(cancelled),
      accuracy,
      confusion_matrix: { rows: 'true', columns: 'predicted', classes, counts: matrix },
      per_class: Object.fromEntries(classes.map((c, i) => [c, perClass[i]])),
      predictions: sortedByPath(records).map((record) => ({
        path: record.path,
        true: classes[record.trueIndex],
        predicted: classes[predictIndex(record.probabilities, rule)],
        probabilities: Object.fromEntries(classes.map((c, i) => [c, record.probabilities[i]])),
      })),
      skipped,
    },
    null,
    2,
  );
}
