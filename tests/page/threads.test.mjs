// The CPU build on threads: a cross-origin isolated page (the dev server sends COOP/COEP) runs
// pkg/cpu-threads/ on as many threads as the machine has cores; a page that is not isolated runs
// the one-thread pkg/cpu/. Both predict what the trainer predicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  EXPECTED_PREDICTIONS,
  SAMPLE_VAL,
  assertClose,
  assertNoProblems,
  chromiumForThisFile,
  classifyByDrop,
  expectedFor,
  imagesIn,
  openPage,
  readExpectedPredictions,
  threadsOf,
  waitForModel,
  withoutIsolation,
} from './harness.mjs';

const { skip, browser } = chromiumForThisFile({ needsExpected: true });

/** Opens the page, checks how many threads it says it runs on, and compares predictions. */
async function checkPage({ prepare, isolated }) {
  const session = await openPage(browser(), { params: { backend: 'cpu' }, prepare });
  const { page } = session;
  await waitForModel(page);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), isolated);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const threads = isolated ? Math.min(cores, 8) : 1;
  assert.equal(await threadsOf(page), threads);
  assert.match(await page.locator('#backend-status').textContent(), threads > 1 ? new RegExp(`Running on CPU, ${threads} threads`) : /Running on CPU \(/);

  const expected = readExpectedPredictions();
  for (const className of ['logo', 'others']) {
    const name = imagesIn(path.join(SAMPLE_VAL, className))[0];
    const result = await classifyByDrop(page, { name, path: path.join(SAMPLE_VAL, className, name) });
    const want = expectedFor(expected, `val/${className}/${name}`);
    assertClose(Object.values(result.probabilities), want.probabilities, 1e-4, `${className}/${name}, ${threads} thread(s)`);
  }
  assertNoProblems(session);
  await session.context.close();
}

test('an isolated page computes on every core; any other page on one thread; both like the trainer', { skip, timeout: 300_000 }, async () => {
  assert.ok(EXPECTED_PREDICTIONS);
  await checkPage({ isolated: true });
  await checkPage({ prepare: withoutIsolation, isolated: false });
});
