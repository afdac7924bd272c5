// A poster photographed at 12 megapixels, dropped onto the page, gets the trainer's
// probabilities: large JPEGs take their own decoding path (decoded at a fraction of their size,
// src/reduced_jpeg.rs), and the page and the trainer must still see the same pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS,
  ROOT,
  SAMPLE_VAL,
  TRAINER,
  assertClose,
  assertNoProblems,
  assertStayedLocal,
  chromiumForThisFile,
  classifyByDrop,
  imagesIn,
  openPage,
  parsePredictions,
  photoInPage,
  screenshot,
  waitForModel,
} from './harness.mjs';

const { skip, browser } = chromiumForThisFile({ needsTrainer: true });

test('a 12-megapixel photo of a poster gets the same probabilities in the page as from the trainer', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);

  const poster = path.join(SAMPLE_VAL, 'logo', imagesIn(path.join(SAMPLE_VAL, 'logo'))[0]);
  const photo = await photoInPage(page, poster);
  const base64 = await photo.evaluate(async (file) => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  const bytes = Buffer.from(base64, 'base64');
  assert.ok(bytes.length > 1_000_000, `a photo-sized JPEG, not ${bytes.length} bytes`);

  // The trainer's answer for the same bytes, through its CLI.
  const folder = path.join(ARTIFACTS, 'photo');
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(path.join(folder, 'logo'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'logo', 'photo.jpg'), bytes);
  const out = path.join(folder, 'predictions.txt');
  execFileSync(TRAINER, ['eval', '--model', 'www/models/logo', '--data', folder, '--out', out], { cwd: ROOT, stdio: 'pipe' });
  const [expected] = parsePredictions(fs.readFileSync(out, 'utf8'));

  const result = await classifyByDrop(page, { name: 'photo.jpg', bytes });
  assert.match(result.label, /^logo \d\.\d\d$/);
  assertClose(Object.values(result.probabilities), expected.probabilities, 1e-4, 'photo.jpg');
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});

test('the shipped ImageNet Lite0, picked from the model list, names a photo as the trainer does', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  await page.selectOption('#model-select', { label: 'ImageNet EfficientNet-Lite0' });
  await page.waitForFunction(() => /ImageNet/.test(document.getElementById('model-status').textContent) && document.getElementById('model-status').dataset.state === 'ready');
  assert.match(await page.locator('#model-status').textContent(), /is ready: 1000 classes, tench, goldfish, .*, … \(990 more\)\./);

  const photo = path.join(ROOT, 'tests/fixtures/photos/chelsea.jpg');
  const folder = path.join(ARTIFACTS, 'imagenet-photo');
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(path.join(folder, 'Egyptian cat'), { recursive: true });
  fs.copyFileSync(photo, path.join(folder, 'Egyptian cat', 'chelsea.jpg'));
  const out = path.join(folder, 'predictions.txt');
  // Its report has a row per class: 1000 of them, not needed here.
  execFileSync(TRAINER, ['eval', '--model', 'www/models/imagenet-lite0', '--data', folder, '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const [expected] = parsePredictions(fs.readFileSync(out, 'utf8'));

  const result = await classifyByDrop(page, { name: 'chelsea.jpg', path: photo });
  // A cat (ImageNet's tabby, tiger cat, Persian, Siamese or Egyptian cat), as PyTorch names it.
  assert.match(result.label, /^(tabby|tiger cat|Persian cat|Siamese cat|Egyptian cat) 0\.\d\d$/, result.label);
  // Bars for the five most probable of the 1000 classes, the most probable first.
  const classes = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/models/imagenet-lite0/model.json'), 'utf8')).classes;
  const ranked = expected.probabilities.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, i]) => classes[i]);
  assert.deepEqual(Object.keys(result.probabilities), ranked);
  assert.match(await page.locator('#class-bars li.more').textContent(), /the 5 most probable of 1000 classes/);
  await screenshot(page, 'imagenet-photo');

  // A folder of two of its classes: the dashboards show the classes that occur, not a million cells.
  await page.setInputFiles('#folder-input', folder);
  await page.waitForSelector('#evaluation-results:not([hidden]) table.confusion', { timeout: 60_000 });
  assert.match(await page.locator('#evaluation-results .summary').textContent(), /^1 of 1 images classified/);
  assert.match(await page.locator('#evaluation-results table.confusion caption').textContent(), /the \d of 1000 classes that occur/);
  const cells = await page.locator('#evaluation-results table.confusion td').count();
  assert.ok(cells >= 1 && cells <= 4, `${cells} cells`);
  const rows = await page.locator('#evaluation-results table.per-class tbody tr').count();
  assert.equal(cells, rows * rows, 'one row and one column per class shown');
  for (const [name, probability] of Object.entries(result.probabilities)) {
    const index = classes.indexOf(name);
    assert.ok(Math.abs(probability - expected.probabilities[index]) < 1e-4, `${name}: ${probability} vs ${expected.probabilities[index]}`);
  }
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
