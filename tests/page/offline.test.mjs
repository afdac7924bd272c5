// Once loaded, the page needs no network: cut it and classify again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  SAMPLE_VAL,
  assertNoProblems,
  assertStayedLocal,
  chromiumForThisFile,
  classifyByDrop,
  imagesIn,
  openPage,
  screenshot,
  waitForModel,
} from './harness.mjs';

const { skip, browser } = chromiumForThisFile();

test('classifies with the network cut after the first load', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page, context } = session;
  await waitForModel(page);
  await context.setOffline(true);
  const requestsBefore = session.requests.length;

  for (const className of ['logo', 'others']) {
    const name = imagesIn(path.join(SAMPLE_VAL, className))[0];
    const result = await classifyByDrop(page, { name, path: path.join(SAMPLE_VAL, className, name) });
    assert.match(result.label, /^\S+ \d\.\d\d$/);
    const sum = Object.values(result.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
  }
  await screenshot(page, 'offline-classified');
  // Classifying touched no network at all (only blob: previews, if anything).
  const later = session.requests.slice(requestsBefore).filter((url) => !url.startsWith('blob:') && !url.startsWith('data:'));
  assert.deepEqual(later, [], 'requests made while offline');
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
