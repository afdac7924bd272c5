// Where the model saw the logo: "Show where it saw" draws the class activation map over the
// classified poster, and `trainer predict --cam` writes the same overlay from the same Rust
// (src/class_map.rs): their pixels agree within a level, and so do their peaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, SAMPLE_VAL, TRAINER, assertNoProblems, assertStayedLocal, chromiumForThisFile, classifyByDrop, imagesIn, openPage, screenshot, waitForModel } from './harness.mjs';

const { skip, browser } = chromiumForThisFile({ needsTrainer: true });

test('the page shows the class map over a poster, as trainer predict --cam draws it', { skip, timeout: 240_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  const name = imagesIn(path.join(SAMPLE_VAL, 'logo'))[0];
  const poster = path.join(SAMPLE_VAL, 'logo', name);
  await classifyByDrop(page, { name, path: poster });

  await page.selectOption('#cam-class', { label: 'logo' });
  await page.check('#cam-toggle');
  await page.waitForSelector('#cam-canvas:not([hidden])[data-peak-x]', { timeout: 60_000 });
  assert.ok(await page.locator('#cam-legend').isVisible(), 'the legend shows with the map');
  assert.ok(await page.locator('#preview').isHidden(), 'the map takes the preview’s place');
  assert.match(await page.locator('#cam-canvas').getAttribute('aria-label'), /^Where the model saw logo: strongest at \d+ % across, \d+ % down$/);
  await screenshot(page, 'class-map-logo');

  // The trainer's overlay of the same poster and class.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'effilens-cam-'));
  const out = path.join(work, 'cam.png');
  const printed = execFileSync(TRAINER, ['predict', '--weights', path.join(ROOT, 'www/models/logo'), '--cam', out, '--cam-class', 'logo', poster], { encoding: 'utf8' });
  const [, across, down] = printed.match(/map of logo peaks at (\d+) % across, (\d+) % down/) ?? [];
  assert.ok(across, printed);
  const dataset = await page.locator('#cam-canvas').evaluate((canvas) => ({ ...canvas.dataset }));
  assert.equal(Math.round(Number(dataset.peakX) * 100), Number(across));
  assert.equal(Math.round(Number(dataset.peakY) * 100), Number(down));

  const difference = await page.evaluate(async (base64) => {
    const shown = document.getElementById('cam-canvas');
    const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type: 'image/png' }));
    if (bitmap.width !== shown.width || bitmap.height !== shown.height) return { size: [bitmap.width, bitmap.height, shown.width, shown.height] };
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const theirs = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const ours = shown.getContext('2d').getImageData(0, 0, shown.width, shown.height).data;
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i] - theirs[i]);
      worst = Math.max(worst, d);
      sum += d;
    }
    return { worst, mean: sum / ours.length };
  }, fs.readFileSync(out).toString('base64'));
  assert.equal(difference.size, undefined, `the overlays differ in size: ${difference.size}`);
  assert.ok(difference.worst <= 2 && difference.mean < 0.05, `the overlays differ: ${JSON.stringify(difference)}`);

  // Off again: the poster itself.
  await page.uncheck('#cam-toggle');
  assert.ok(await page.locator('#preview').isVisible());
  fs.rmSync(work, { recursive: true, force: true });
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});

test('a row of the evaluation table shows where the model saw its predicted class', { skip, timeout: 240_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  await page.setInputFiles('#folder-input', SAMPLE_VAL);
  await page.waitForSelector('#evaluation-results:not([hidden]) table.predictions button.where', { timeout: 180_000 });
  const row = page.locator('table.predictions tbody tr').nth(3);
  const [rowPath, predicted] = await row.evaluate((tr) => [tr.querySelector('.path').textContent, tr.children[3].firstChild.textContent]);
  await row.getByRole('button', { name: /^Where the model saw / }).click();
  await page.waitForSelector('#cam-canvas:not([hidden])[data-peak-x]', { timeout: 60_000 });
  assert.equal(await page.locator('#preview-name').textContent(), rowPath.split('/').at(-1));
  assert.equal(await page.locator('#cam-class').inputValue(), String((await page.$$eval('#cam-class option', (options) => options.map((o) => o.textContent))).indexOf(predicted) - 1));
  assert.match(await page.locator('#cam-canvas').getAttribute('aria-label'), new RegExp(`^Where the model saw ${predicted}:`));
  await screenshot(page, 'class-map-from-table');
  assertNoProblems(session);
  await session.context.close();
});
