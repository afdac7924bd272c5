// The evaluation core's golden fixture through the page: open tests/fixtures/evaluation/
// records.json with "Open a report…", and the three downloads must equal the golden files byte
// for byte, as `trainer report` writes them (trainer/tests/report.rs) and as the core renders them
// (evaluation/tests/golden.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, assertNoProblems, assertStayedLocal, chromiumForThisFile, downloadText, openPage, screenshot, waitForModel } from './harness.mjs';

const { skip, browser } = chromiumForThisFile();
const FIXTURES = path.join(ROOT, 'tests/fixtures/evaluation');

test('an opened report downloads as the golden files, and its dashboards follow the threshold', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);

  await page.setInputFiles('#report-input', path.join(FIXTURES, 'records.json'));
  await page.waitForSelector('#evaluation-results:not([hidden]) table.confusion', { timeout: 30_000 });
  await screenshot(page, 'report-opened');

  for (const [button, file] of [['predictions.txt', 'predictions.txt'], ['CSV', 'predictions.csv'], ['JSON', 'predictions.json']]) {
    const downloaded = await downloadText(page, button);
    assert.ok(downloaded === fs.readFileSync(path.join(FIXTURES, file), 'utf8'), `${file} differs from the golden file:\n${downloaded}`);
  }

  // The report's decision is the page's: logo when p(logo) >= 0.7.
  assert.equal(await page.locator('#decision-threshold-value').textContent(), '0.70');
  const counts = async () => page.$$eval('table.confusion td', (tds) => tds.map((td) => Number(td.textContent)));
  assert.deepEqual(await counts(), [1, 3, 1, 3]);
  // p >= t at every threshold: at 0.5 the tie at exactly 0.5 and the f32 0.7 count as logo.
  await page.locator('#decision-threshold').fill('0.5');
  assert.deepEqual(await counts(), [3, 1, 2, 2]);
  await page.getByRole('button', { name: 'Reset to argmax' }).click();
  assert.equal(await page.locator('#decision-threshold-value').textContent(), 'argmax');
  assert.deepEqual(await counts(), [3, 1, 2, 2]);
  assert.match(await page.locator('.summary').textContent(), /^8 of 8 images classified · 3 skipped · accuracy 62\.5%/);
  assert.equal(await page.locator('ul.skipped li').count(), 3);

  // The mistakes filter and the table's figures come from the core.
  await page.selectOption('#table-filter', 'mistakes');
  assert.equal(await page.locator('.pager-status').textContent(), 'Rows 1–3 of 3');
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});

test('a file that is not a report says so and changes nothing', { skip, timeout: 120_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  await page.setInputFiles('#report-input', path.join(ROOT, 'www/models/logo/model.json'));
  await page.waitForSelector('#notice:not([hidden])');
  assert.match(await page.locator('#notice').textContent(), /Could not open model\.json as a report: not an effilens evaluation report/);
  assert.equal(await page.locator('#evaluation-results').isHidden(), true);
  await session.context.close();
});
