// Unit tests for www/exports.js and www/path-order.js: predictions.txt in the trainer's exact
// format, CSV, JSON, bytewise path order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, evaluationJson, formatFixed, predictionsCsv, predictionsTxt } from '../../www/exports.js';
import { compareBytewise } from '../../www/path-order.js';

test('the trainer format: probabilities, one-hot true, one-hot predicted, path', () => {
  const records = [{ path: './data/val/logo/13.jpeg', trueIndex: 0, probabilities: Float32Array.of(0.6446, 0.3554) }];
  assert.equal(predictionsTxt(records, 2), '0.64460 0.35540 1 0 1 0 ./data/val/logo/13.jpeg\n');
});

test('predictions.txt is sorted by path bytewise, one line per image, predicted by the rule', () => {
  const records = [
    { path: 'val/others/2.jpeg', trueIndex: 1, probabilities: [0.3, 0.7] },
    { path: 'val/logo/b c.jpeg', trueIndex: 0, probabilities: [0.45, 0.55] },
    { path: 'val/logo/a.jpeg', trueIndex: 0, probabilities: [1, 0] },
  ];
  assert.equal(
    predictionsTxt(records, 2),
    '1.00000 0.00000 1 0 1 0 val/logo/a.jpeg\n' +
      '0.45000 0.55000 1 0 0 1 val/logo/b c.jpeg\n' +
      '0.30000 0.70000 0 1 0 1 val/others/2.jpeg\n',
  );
  // With a lower threshold for "logo" the 0.45 becomes a logo.
  assert.match(predictionsTxt(records, 2, { positive: 0, threshold: 0.4 }), /^0\.45000 0\.55000 1 0 1 0 val\/logo\/b c\.jpeg$/m);
  assert.equal(predictionsTxt([], 2), '');
  // Three classes.
  assert.equal(
    predictionsTxt([{ path: 'x/b/1.png', trueIndex: 1, probabilities: [0.2, 0.3, 0.5] }], 3),
    '0.20000 0.30000 0.50000 0 1 0 0 0 1 x/b/1.png\n',
  );
});

test('5 decimals rounded like Rust: exact binary value, ties to even', () => {
  assert.equal(formatFixed(0, 5), '0.00000');
  assert.equal(formatFixed(1, 5), '1.00000');
  assert.equal(formatFixed(0.5, 5), '0.50000');
  assert.equal(formatFixed(1e-10, 5), '0.00000');
  assert.equal(formatFixed(Math.fround(0.6446), 5), '0.64460');
  // 0.015625 = 1/64 is exactly halfway between 0.01562 and 0.01563: Rust prints 0.01562.
  assert.equal(formatFixed(0.015625, 5), '0.01562');
  assert.equal(formatFixed(0.046875, 5), '0.04688'); // 3/64: halfway, 8 is even
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal(formatFixed(0.375, 2), '0.38');
  assert.equal(formatFixed(-0.25, 1), '-0.2');
  assert.equal(formatFixed(123.456, 1), '123.5');
  assert.equal(formatFixed(NaN, 5), 'NaN');
  assert.equal(formatFixed(Infinity, 5), 'inf');
});

test('away from ties the formatting equals toFixed for random f32 probabilities', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 20000; i++) {
    const x = Math.fround(random());
    const scaled = x * 1e5;
    if (Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6) continue; // a (near) tie
    assert.equal(formatFixed(x, 5), x.toFixed(5), `x = ${x}`);
  }
});

test('bytewise order is code point order (not UTF-16 order)', () => {
  assert.ok(compareBytewise('a', 'b') < 0);
  assert.ok(compareBytewise('a', 'a/b') < 0);
  assert.equal(compareBytewise('same', 'same'), 0);
  assert.ok(compareBytewise('B', 'a') < 0, 'upper case before lower case, as bytes');
  assert.ok(compareBytewise('a-b/c', 'a/b') < 0, "'-' (0x2d) sorts before '/' (0x2f)");
  // U+E000 is EE 80 80 in UTF-8, U+1F600 is F0 9F 98 80: E000 first; UTF-16 order says otherwise.
  assert.ok(compareBytewise('\uE000', '😀') < 0);
  assert.ok('\uE000' > '😀', 'JS default order differs here');
  const names = ['é', 'z', 'Z', '😀', '\uE000', 'e'];
  const byBytes = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual([...names].sort(compareBytewise), byBytes);
});

test('CSV: header, quoting and no spreadsheet formulas from file names', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('line\nbreak'), '"line\nbreak"');
  assert.equal(csvField('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.equal(csvField('@cmd'), "'@cmd");
  const csv = predictionsCsv([{ path: 'val/logo/1.jpeg', trueIndex: 0, probabilities: [0.25, 0.75] }], ['logo', 'others']);
  assert.equal(csv, 'path,true,predicted,correct,p(logo),p(others)\r\nval/logo/1.jpeg,logo,others,no,0.25000,0.75000\r\n');
});

test('JSON has the model, decision, metrics, predictions and skipped files', () => {
  const json = JSON.parse(
    evaluationJson({
      model: { name: 'logo', arch: 'efficientnet-lite0', classes: ['logo', 'others'] },
      backend: 'cpu',
      rule: { positive: 0, threshold: 0.7 },
      matrix: [
        [1, 0],
        [0, 1],
      ],
      perClass: [{ precision: 1 }, { precision: 1 }],
      accuracy: 1,
      records: [
        { path: 'v/others/2.png', trueIndex: 1, probabilities: [0.1, 0.9] },
        { path: 'v/logo/1.png', trueIndex: 0, probabilities: [0.8, 0.2] },
      ],
      skipped: [{ path: 'v/notes.txt', reason: 'not an image (.txt file)' }],
      cancelled: false,
    }),
  );
  assert.deepEqual(json.decision, { kind: 'threshold', positive: 'logo', threshold: 0.7 });
  assert.equal(json.accuracy, 1);
  assert.deepEqual(json.predictions.map((p) => [p.path, p.true, p.predicted]), [
    ['v/logo/1.png', 'logo', 'logo'],
    ['v/others/2.png', 'others', 'others'],
  ]);
  assert.equal(json.skipped[0].reason, 'not an image (.txt file)');
  assert.deepEqual(json.confusion_matrix.classes, ['logo', 'others']);
});
