// WebGPU, software-rendered (SwiftShader, seconds per image): forced with ?backend=webgpu and
// kept to one image. Also: switching to CPU from the page, falling back to CPU when the WebGPU
// build cannot start, and moving to CPU when the browser takes the device away.
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

// GPU kernels sum in a different order than the CPU: allow a little more than the CPU's 1e-4.
const WEBGPU_TOLERANCE = 1e-3;

const { skip, browser } = chromiumForThisFile({ webgpu: true });

async function hasWebGpuAdapter(page) {
  return page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
}

/**
 * The page forced onto WebGPU with its model loaded there, or null (the test skipped) where this
 * Chromium has no adapter. `prepare`: as openPage's.
 */
async function openOnWebGpu(t, prepare) {
  const session = await openPage(browser(), { params: { backend: 'webgpu' }, prepare });
  if (!(await hasWebGpuAdapter(session.page))) {
    t.skip('this Chromium offers no WebGPU adapter even with --enable-unsafe-webgpu');
    await session.context.close();
    return null;
  }
  await waitForModel(session.page, { timeout: 300_000 });
  assert.equal(await backendOf(session.page), 'webgpu', `fell back: ${await session.page.locator('#notice').textContent()}`);
  return session;
}

test('forced WebGPU classifies a poster like the trainer; switching to CPU agrees', { skip, timeout: 600_000 }, async (t) => {
  const session = await openOnWebGpu(t);
  if (!session) return;
  const { page } = session;

  const name = imagesIn(path.join(SAMPLE_VAL, 'logo'))[0];
  const file = { name, path: path.join(SAMPLE_VAL, 'logo', name) };
  const onGpu = await classifyByDrop(page, file, { timeout: 240_000 });
  assert.match(await page.locator('#classify-meta').textContent(), /on WebGPU$/);
  await screenshot(page, 'webgpu-classified');
  if (EXPECTED_PREDICTIONS) {
    const want = expectedFor(readExpectedPredictions(), `val/logo/${name}`);
    assert.ok(want, `val/logo/${name} is not in the trainer's predictions`);
    assertClose(Object.values(onGpu.probabilities), want.probabilities, WEBGPU_TOLERANCE, `WebGPU ${name}`);
  }

  // The backend select restarts the classifier on the other build.
  await page.selectOption('#backend-select', 'cpu');
  await page.waitForSelector('#backend-status[data-backend="cpu"]');
  await waitForModel(page);
  const onCpu = await classifyByDrop(page, file);
  assert.match(await page.locator('#classify-meta').textContent(), /on CPU$/);
  assertClose(Object.values(onCpu.probabilities), Object.values(onGpu.probabilities), WEBGPU_TOLERANCE, 'CPU vs WebGPU');
  await screenshot(page, 'webgpu-switched-to-cpu');

  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});

test('falls back to CPU, and says so, when the WebGPU build cannot start', { skip, timeout: 300_000 }, async (t) => {
  // Break the WebGPU build, as a failing WebGPU initialisation would.
  const session = await openPage(browser(), {
    params: { backend: 'webgpu' },
    prepare: (context) => context.route('**/pkg/webgpu/**', (route) => route.fulfill({ status: 404, body: 'gone' })),
  });
  const { page } = session;
  if (!(await hasWebGpuAdapter(page))) {
    t.skip('this Chromium offers no WebGPU adapter even with --enable-unsafe-webgpu');
    await session.context.close();
    return;
  }
  await waitForModel(page);
  assert.equal(await backendOf(page), 'cpu');
  assert.match(await page.locator('#notice').textContent(), /WebGPU.*CPU/);
  const name = imagesIn(path.join(SAMPLE_VAL, 'others'))[0];
  await classifyByDrop(page, { name, path: path.join(SAMPLE_VAL, 'others', name) });
  assert.match(await page.locator('#classify-meta').textContent(), /on CPU$/);
  assert.ok(await page.locator('#notice').isVisible(), 'the fallback notice stays up');
  assert.match(await page.locator('#backend-status').textContent(), /fell back/);
  await screenshot(page, 'webgpu-fallback-to-cpu');

  // The 404 of the broken build is a page problem we caused on purpose; nothing else may be.
  assert.deepEqual(session.problems.filter((p) => !/pkg\/webgpu/.test(p)), []);
  assert.deepEqual(session.dialogs, []);
  assertStayedLocal(session);
  await session.context.close();
});

/**
 * Prepended to worker.js: keeps the WebGPU device the build asks for and destroys it when the
 * page broadcasts "lose the device", as a driver reset or a crashed GPU process would take it.
 */
const LOSE_ON_REQUEST = `
if (self.GPUAdapter) {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    new BroadcastChannel('effilens-test').onmessage = (event) => {
      if (event.data === 'lose the device') device.destroy();
    };
    return device;
  };
}
`;

test('when the browser takes the WebGPU device away, the page says so and goes on on the CPU', { skip, timeout: 600_000 }, async (t) => {
  const session = await openOnWebGpu(t, (context) =>
    context.route('**/worker.js', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: LOSE_ON_REQUEST + (await response.text()) });
    }),
  );
  if (!session) return;
  const { page } = session;

  // Lost while idle: nothing asked, the page moves by itself.
  await page.evaluate(() => new BroadcastChannel('effilens-test').postMessage('lose the device'));
  await page.waitForSelector('#backend-status[data-backend="cpu"]', { timeout: 120_000 });
  await waitForModel(page);
  assert.match(await page.locator('#notice').textContent(), /WebGPU device was lost.*switched to CPU/);

  const name = imagesIn(path.join(SAMPLE_VAL, 'logo'))[0];
  const { probabilities } = await classifyByDrop(page, { name, path: path.join(SAMPLE_VAL, 'logo', name) });
  assert.match(await page.locator('#classify-meta').textContent(), /on CPU$/);
  if (EXPECTED_PREDICTIONS) {
    assertClose(Object.values(probabilities), expectedFor(readExpectedPredictions(), `val/logo/${name}`).probabilities, 1e-4, `CPU ${name}`);
  }
  await screenshot(page, 'webgpu-lost-then-cpu');
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
