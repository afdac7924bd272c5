// (d) In a Chromium started WITHOUT --enable-unsafe-webgpu the page picks the CPU backend on its
// own (no ?backend= parameter) and predicts what the trainer predicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  EXPECTED_PREDICTIONS,
  SAMPLE_VAL,
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

test('without WebGPU the page runs on CPU and predicts like the trainer', { skip, timeout: 300_000 }, async () => {
  const session = await openPage(browser(), { params: {} });
  const { page } = session;
  await waitForModel(page);
  assert.equal(await backendOf(page), 'cpu');
  assert.match(await page.locator('#backend-status').textContent(), /Running on CPU/);
  const webgpuOption = page.locator('#backend-select option[value="webgpu"]');
  assert.equal(await webgpuOption.isDisabled(), true, 'WebGPU cannot be chosen where there is none');

  const expected = EXPECTED_PREDICTIONS ? readExpectedPredictions() : null;
  const picks = [
    ...imagesIn(path.join(SAMPLE_VAL, 'logo')).slice(0, 2).map((name) => ['logo', name]),
    ...imagesIn(path.join(SAMPLE_VAL, 'others')).slice(0, 1).map((name) => ['others', name]),
  ];
  assert.ok(picks.length > 0, `no images in ${SAMPLE_VAL}`);
  for (const [className, name] of picks) {
    const result = await classifyByDrop(page, { name, path: path.join(SAMPLE_VAL, className, name) });
    assert.match(await page.locator('#classify-meta').textContent(), /on CPU$/);
    if (expected) {
      const want = expectedFor(expected, `val/${className}/${name}`);
      assert.ok(want, `val/${className}/${name} is not in the trainer's predictions`);
      assertClose(Object.values(result.probabilities), want.probabilities, 1e-4, `${className}/${name}`);
    }
  }
  await screenshot(page, 'd1-cpu-without-webgpu');
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
