// (b) Evaluating data/sample/val on the page gives a confusion matrix and a predictions.txt
// identical to `trainer eval` for the same folder and bundle.
//
// "Identical" is checked line by line, in order: the same one-hot true and predicted columns,
// the same path, and probabilities within 1e-4. The probabilities are parsed and compared
// numerically rather than as text, because a last-digit difference in f32 arithmetic between
// native and wasm builds could flip one rounded 5th decimal. Paths: the page knows the folder
// only by its name, so it writes "val/logo/1.jpeg" where the trainer, given
// ./data/sample/val, writes "./data/sample/val/logo/1.jpeg": the trainer's path must end with
// "/" + the page's path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SAMPLE_VAL,
  assertClose,
  assertNoProblems,
  assertStayedLocal,
  chromiumForThisFile,
  downloadText,
  openPage,
  parsePredictions,
  readExpectedPredictions,
  screenshot,
  waitForModel,
} from './harness.mjs';

const { skip, browser } = chromiumForThisFile({ needsExpected: true });

test('evaluating data/sample/val matches the trainer', { skip, timeout: 600_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);

  await page.setInputFiles('#folder-input', SAMPLE_VAL);
  await page.waitForSelector('#progress-panel:not([hidden])', { timeout: 30_000 }).catch(() => {});
  await screenshot(page, 'b1-progress');
  await page.waitForSelector('#evaluation-results:not([hidden]) table.confusion', { timeout: 540_000 });
  // Thumbnails load for rows near the viewport only: bring the table's top into view first.
  await page.locator('img.thumb').first().scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('img.thumb')?.complete && document.querySelector('img.thumb').naturalWidth > 0);
  await screenshot(page, 'b2-results');

  const expected = readExpectedPredictions();
  const classCount = expected[0].probabilities.length;

  // The confusion matrix is N×N and agrees with the trainer's one-hot columns.
  const cells = await page.$$eval('table.confusion td', (tds) =>
    tds.map((td) => ({ t: Number(td.dataset.true), p: Number(td.dataset.predicted), n: Number(td.textContent) })),
  );
  assert.equal(cells.length, classCount * classCount, 'confusion matrix size');
  for (const cell of cells) {
    const count = expected.filter(
      (e) => e.trueOneHot.split(' ')[cell.t] === '1' && e.predictedOneHot.split(' ')[cell.p] === '1',
    ).length;
    assert.equal(cell.n, count, `confusion matrix [true ${cell.t}][predicted ${cell.p}]`);
  }
  assert.match(await page.locator('.summary').textContent(), new RegExp(`^${expected.length} of ${expected.length} images classified`));

  const text = await downloadText(page, 'predictions.txt');
  assert.ok(text.endsWith('\n'), 'predictions.txt ends with a newline');
  const actual = parsePredictions(text);
  assert.equal(actual.length, expected.length, 'number of lines');
  actual.forEach((line, i) => {
    const want = expected[i];
    assert.ok(want.path === line.path || want.path.endsWith('/' + line.path), `line ${i + 1}: path ${line.path} vs trainer ${want.path}`);
    assert.ok(line.path.startsWith('val/'), `line ${i + 1}: path starts with the folder name: ${line.path}`);
    assert.equal(line.trueOneHot, want.trueOneHot, `line ${i + 1} (${line.path}): true class`);
    assert.equal(line.predictedOneHot, want.predictedOneHot, `line ${i + 1} (${line.path}): predicted class`);
    assertClose(line.probabilities, want.probabilities, 1e-4, `line ${i + 1} (${line.path})`);
  });
  // The 5-decimal formatting is the trainer's: every probability has exactly 5 decimals.
  for (const line of text.trimEnd().split('\n')) {
    const probabilities = line.split(' ').slice(0, classCount);
    assert.ok(probabilities.every((p) => /^\d\.\d{5}$/.test(p)), `5 decimals: ${line}`);
  }

  // The table filter shows exactly the trainer's mistakes.
  const mistakes = expected.filter((e) => e.trueOneHot !== e.predictedOneHot).length;
  await page.selectOption('#table-filter', 'mistakes');
  assert.equal(
    await page.locator('.pager-status').textContent(),
    mistakes === 0 ? 'No rows' : `Rows 1–${Math.min(mistakes, 50)} of ${mistakes}`,
  );

  // Two classes: moving the threshold updates the matrix live (positive = first class).
  if (classCount === 2) {
    const threshold = 0.9;
    const ambiguous = expected.some((e) => Math.abs(e.probabilities[0] - threshold) <= 1e-4);
    await page.locator('#decision-threshold').fill(String(threshold));
    const counts = await page.$$eval('table.confusion td', (tds) => tds.map((td) => Number(td.textContent)));
    assert.equal(counts.reduce((a, b) => a + b, 0), expected.length);
    if (!ambiguous) {
      const want = [0, 0, 0, 0];
      for (const e of expected) {
        const t = e.trueOneHot === '1 0' ? 0 : 1;
        const p = e.probabilities[0] >= threshold ? 0 : 1;
        want[t * 2 + p] += 1;
      }
      assert.deepEqual(counts, want, `confusion matrix at threshold ${threshold}`);
    }
    await screenshot(page, 'b3-threshold');
  }

  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
