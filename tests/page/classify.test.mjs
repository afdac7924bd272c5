// (a) Dropping a sample poster onto the page shows "logo" with its probability.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  SAMPLE_VAL,
  EXPECTED_PREDICTIONS,
  assertClose,
  assertNoProblems,
  assertStayedLocal,
  backendOf,
  chromiumForThisFile,
  classifyByDrop,
  expectedFor,
  imagesIn,
  openPage,
  readExpectedPredictions,
  screenshot,
  waitForModel,
} from './harness.mjs';

const { skip, browser } = chromiumForThisFile();

test('dropping a sample poster shows "logo" and its probability', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  assert.equal(await backendOf(page), 'cpu');
  await screenshot(page, 'a1-ready');

  const name = imagesIn(path.join(SAMPLE_VAL, 'logo'))[0];
  assert.ok(name, `no image in ${SAMPLE_VAL}/logo`);
  const result = await classifyByDrop(page, { name, path: path.join(SAMPLE_VAL, 'logo', name) });

  // "logo 0.97": the class, then its probability with two decimals.
  const match = /^logo (\d\.\d\d)$/.exec(result.label);
  assert.ok(match, `expected "logo <probability>", got "${result.label}"`);
  assert.equal(Number(match[1]), Number(result.probabilities.logo.toFixed(2)));
  assert.match(await page.locator('#classify-meta').textContent(), /\d+(\.\d+)? m?s on CPU/);
  assert.equal(await page.locator('#preview-name').textContent(), name);
  await screenshot(page, 'a2-classified');

  if (EXPECTED_PREDICTIONS) {
    const expected = expectedFor(readExpectedPredictions(), `val/logo/${name}`);
    assert.ok(expected, `val/logo/${name} is not in ${EXPECTED_PREDICTIONS}`);
    assertClose(Object.values(result.probabilities), expected.probabilities, 1e-4, name);
  }
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
