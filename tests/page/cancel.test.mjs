// Cancel stops a folder evaluation at once, the batch in flight included (the worker is stopped,
// not asked), shows what was done, and the model is back for the next image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SAMPLE_VAL, assertNoProblems, chromiumForThisFile, classifyByDrop, imagesIn, openPage, waitForModel } from './harness.mjs';

const { skip, browser } = chromiumForThisFile();

test('Cancel stops at once and the model is back afterwards', { skip, timeout: 300_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  await page.setInputFiles('#folder-input', SAMPLE_VAL);
  await page.waitForSelector('#progress-panel:not([hidden])');
  await page.locator('#cancel-button').click();
  await page.waitForSelector('#evaluation-results:not([hidden]) table.confusion', { timeout: 60_000 });
  assert.match(await page.locator('#evaluation-results .notes').textContent(), /Cancelled/);
  const classified = Number((await page.locator('.summary').textContent()).split(' ')[0]);
  assert.ok(classified < 60, `cancelled after ${classified} of 60 images`);

  const name = imagesIn(path.join(SAMPLE_VAL, 'logo'))[0];
  const result = await classifyByDrop(page, { name, path: path.join(SAMPLE_VAL, 'logo', name) });
  assert.match(result.label, /^logo \d\.\d\d$/);
  assertNoProblems(session);
  await session.context.close();
});
