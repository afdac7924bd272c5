// Teach in the page, the whole loop (issue: teach in the page): a labeled folder of the sample
// posters under class names the bundled model does not know is taught in headless Chromium on
// the CPU; the live curves and the validation dashboards appear; the bundle is downloaded; then
// `trainer eval` scores it on the validation posters within a point of the bundle `trainer train
// --freeze-backbone --no-augment` makes with the same settings (their probabilities agree too),
// the page loads it back through "Load your own model…" and predicts within 1e-4 of the trainer,
// and `trainer train --pretrained` continues from it for an epoch. Also: one class is refused
// with a clear message, Cancel during training keeps the best epoch so far, and the whole
// network fine-tunes as the trainer fine-tunes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT,
  TRAINER,
  assertClose,
  assertNoProblems,
  assertStayedLocal,
  browserSkipReason,
  classifyByDrop,
  imagesIn,
  launchChromium,
  openPage,
  screenshot,
  waitForModel,
} from './harness.mjs';

const skip = browserSkipReason({ needsTrainer: true });
const CLASSES = { logo: 'brand', others: 'no brand' };
const SEED = '3';
let browser;
let work;

/** data/sample/<split> copied under the new class names: work/<split>/<class>/…. */
function renamedCopy(split) {
  for (const [from, to] of Object.entries(CLASSES)) {
    const source = path.join(ROOT, 'data/sample', split, from);
    const target = path.join(work, split, to);
    fs.mkdirSync(target, { recursive: true });
    for (const name of imagesIn(source)) fs.copyFileSync(path.join(source, name), path.join(target, name));
  }
  return path.join(work, split);
}

function trainer(args) {
  return execFileSync(TRAINER, args, { cwd: work, stdio: 'pipe', encoding: 'utf8' });
}

/** `trainer eval`'s JSON report of `model` on `data`. */
function evaluate(model, data, name) {
  const out = path.join(work, name, 'predictions.txt');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  trainer(['eval', '--model', model, '--data', data, '--out', out]);
  return JSON.parse(fs.readFileSync(out.replace(/\.txt$/, '.json'), 'utf8'));
}

async function download(page, buttonName, folder) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: buttonName, exact: true }).click()]);
  const target = path.join(folder, file.suggestedFilename());
  await file.saveAs(target);
  return target;
}

/**
 * Loads the downloaded `bundle` (named `name`) through "Load your own model…", drops the first
 * poster of `data`/brand and checks the page's probabilities against `trainer eval`'s `report`.
 */
async function loadBackAndPredict(page, bundle, name, data, report) {
  await page.setInputFiles('#bundle-input', [path.join(bundle, 'model.json'), path.join(bundle, 'weights.bpk')]);
  await page.waitForFunction((name) => document.getElementById('model-status').textContent.includes(name), name);
  await waitForModel(page);
  const poster = imagesIn(path.join(data, 'brand'))[0];
  const { probabilities } = await classifyByDrop(page, { name: poster, path: path.join(data, 'brand', poster) });
  const expected = report.predictions.find((p) => p.path.endsWith(`brand/${poster}`));
  assertClose([probabilities.brand, probabilities['no brand']], expected.probabilities, 1e-4, poster);
}

before(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'effilens-teach-'));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('teach from a folder, download the bundle, and the trainer and the page take it', { skip, timeout: 600_000 }, async () => {
  const train = renamedCopy('train');
  const val = renamedCopy('val');
  // What a real folder holds besides images: both are listed as skipped, with their reasons.
  fs.writeFileSync(path.join(train, 'brand', 'broken.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]));
  fs.writeFileSync(path.join(train, 'no brand', 'notes.txt'), 'not an image\n');
  const session = await openPage(browser, { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  // The form shows the trainer's defaults, from the Rust session.
  await page.waitForFunction(() => document.getElementById('teach-epochs').value !== '');
  assert.equal(await page.inputValue('#teach-epochs'), '10');
  assert.equal(await page.inputValue('#teach-lr'), '0.01');
  assert.equal(await page.inputValue('#teach-val'), '0.2');
  assert.deepEqual(await page.$$eval('#teach-start option', (options) => options.map((o) => o.textContent)), ["the loaded model's backbone", "Logo detector's backbone", "ImageNet EfficientNet-Lite0's backbone"]);
  await page.fill('#teach-seed', SEED);
  await page.fill('#teach-name', 'brand check');

  await page.setInputFiles('#teach-input', train);
  await page.waitForSelector('#teach-progress:not([hidden])');
  await screenshot(page, 'teach-1-features');
  await page.waitForSelector('#teach-status[data-state="done"], #teach-status[data-state="error"]', { timeout: 300_000 });
  const status = await page.locator('#teach-status').textContent();
  assert.equal(await page.locator('#teach-status').getAttribute('data-state'), 'done', status);
  const [, trained, validated] = status.match(/10 epoch\(s\) on (\d+) images, validated on (\d+)/) ?? [];
  assert.equal(Number(trained) + Number(validated), 200, status);
  await screenshot(page, 'teach-2-trained');

  // The live curves: loss and accuracy, ten epochs each, for training and validation.
  const curves = await page.$$eval('#teach-curves svg.training-curve', (svgs) => svgs.map((s) => ({ label: s.getAttribute('aria-label'), paths: s.querySelectorAll('path.line').length })));
  assert.equal(curves.length, 2);
  for (const curve of curves) {
    assert.match(curve.label, /after epoch 10:/);
    assert.equal(curve.paths, 2);
  }
  assert.equal(await page.locator('#teach-curves circle.dot').count(), 2 * 2 * 10);
  // The validation share's dashboards, from the evaluation core.
  await page.waitForSelector('#teach-results:not([hidden]) table.confusion');
  assert.match(await page.locator('#teach-results .summary').textContent(), new RegExp(`^${validated} of \\d+ images classified · 2 skipped`));
  const skipped = await page.$$eval('#teach-results ul.skipped li', (items) => items.map((li) => li.textContent));
  assert.equal(skipped.length, 2, skipped.join('\n'));
  assert.ok(skipped.some((line) => line.includes('broken.jpg') && /decode|JPEG/i.test(line)), skipped.join('\n'));
  assert.ok(skipped.some((line) => line.includes('notes.txt') && /not an image/i.test(line)), skipped.join('\n'));
  assert.ok(await page.locator('#teach-decision-threshold').count() === 1, 'the teach dashboards have their own ids');

  const bundle = path.join(work, 'page-bundle');
  fs.mkdirSync(bundle);
  await download(page, 'Download model.json', bundle);
  await download(page, 'Download weights.bpk', bundle);
  const manifest = JSON.parse(fs.readFileSync(path.join(bundle, 'model.json'), 'utf8'));
  assert.deepEqual(manifest.classes, ['brand', 'no brand']);
  assert.equal(manifest.name, 'brand check');
  assert.equal(manifest.training.settings.recipe.seed, Number(SEED));
  assert.equal(typeof manifest.metrics.accuracy, 'number');

  // The trainer, same settings and data: the scores agree within a point, the predictions closely.
  const checkpoints = path.join(work, 'checkpoints');
  trainer(['train', '--train-data', train, '--pretrained', path.join(ROOT, 'www/models/logo'), '--freeze-backbone', '--no-augment', '--seed', SEED, '--checkpoint-dir', checkpoints]);
  const native = path.join(work, 'native-bundle');
  trainer(['export', '--model', path.join(checkpoints, 'best.ckpt'), '--out', native]);
  const pageReport = evaluate(bundle, val, 'eval-page');
  const nativeReport = evaluate(native, val, 'eval-native');
  assert.equal(typeof pageReport.accuracy, 'number');
  assert.ok(Math.abs(pageReport.accuracy - nativeReport.accuracy) <= 0.01, `page ${pageReport.accuracy}, trainer ${nativeReport.accuracy}`);
  pageReport.predictions.forEach((p, i) => assertClose(p.probabilities, nativeReport.predictions[i].probabilities, 2e-3, p.path));

  // "Load your own model…" takes it back, and predicts what the trainer predicts.
  await loadBackAndPredict(page, bundle, 'brand check', val, pageReport);
  await screenshot(page, 'teach-3-loaded-back');

  // The trainer continues from it (its classifier kept: the same classes).
  const continued = trainer(['train', '--train-data', train, '--pretrained', bundle, '--epochs', '1', '--image-size', '96', '--checkpoint-dir', path.join(work, 'continued')]);
  assert.match(continued, /epoch 1\/1/);
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});

test('one class is refused with a clear message; Cancel during training keeps the best epoch', { skip, timeout: 300_000 }, async () => {
  const session = await openPage(browser, { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  const lonely = path.join(work, 'lonely');
  fs.mkdirSync(path.join(lonely, 'brand'), { recursive: true });
  const source = path.join(ROOT, 'data/sample/train/logo');
  for (const name of imagesIn(source).slice(0, 3)) fs.copyFileSync(path.join(source, name), path.join(lonely, 'brand', name));
  await page.setInputFiles('#teach-input', lonely);
  await page.waitForSelector('#teach-status[data-state="error"]');
  assert.match(await page.locator('#teach-status').textContent(), /at least 2 classes, found 1/);

  // Many epochs, cancelled once the curve shows: the epochs so far are kept, the best of them published.
  const small = path.join(work, 'small');
  for (const [from, to] of Object.entries(CLASSES)) {
    const dir = path.join(small, to);
    fs.mkdirSync(dir, { recursive: true });
    const images = path.join(ROOT, 'data/sample/train', from);
    for (const name of imagesIn(images).slice(0, 12)) fs.copyFileSync(path.join(images, name), path.join(dir, name));
  }
  await page.waitForFunction(() => document.getElementById('teach-epochs').value !== '');
  await page.fill('#teach-epochs', '1000');
  await page.setInputFiles('#teach-input', small);
  await page.waitForSelector('#teach-curves svg.training-curve', { timeout: 120_000 });
  await page.click('#teach-cancel');
  await page.waitForSelector('#teach-status[data-state="cancelled"], #teach-status[data-state="error"]', { timeout: 60_000 });
  const status = await page.locator('#teach-status').textContent();
  assert.match(status, /^Cancelled after .*: (\d+) epoch\(s\)/, status);
  assert.ok(Number(status.match(/: (\d+) epoch/)[1]) < 1000, status);
  assert.ok(await page.getByRole('button', { name: 'Download model.json', exact: true }).isVisible());
  // The kept epoch's dashboards cover the whole validation share.
  assert.match(await page.locator('#teach-results .summary').textContent(), /^4 of \d+ images classified/);
  await screenshot(page, 'teach-4-cancelled');
  assertNoProblems(session);
  await session.context.close();
});

/** work/<name>/<class>/…: the first `count` images of each sample class, under the new names. */
function smallCopy(name, count) {
  const root = path.join(work, name);
  for (const [from, to] of Object.entries(CLASSES)) {
    const dir = path.join(root, to);
    fs.mkdirSync(dir, { recursive: true });
    const images = path.join(ROOT, 'data/sample/train', from);
    for (const file of imagesIn(images).slice(0, count)) fs.copyFileSync(path.join(images, file), path.join(dir, file));
  }
  return root;
}

test('the whole network trains in the page as the trainer trains it; Cancel stops between batches', { skip, timeout: 600_000 }, async () => {
  const session = await openPage(browser, { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  await page.waitForFunction(() => document.getElementById('teach-epochs').value !== '');
  // Ten posters a class: eight train, two validate; batches of four, two epochs, augmented.
  const small = smallCopy('network', 10);
  await page.selectOption('#teach-part', 'network');
  await page.fill('#teach-epochs', '2');
  await page.fill('#teach-batch', '4');
  await page.fill('#teach-seed', SEED);
  await page.fill('#teach-name', 'fine-tuned');
  await page.setInputFiles('#teach-input', small);
  await page.waitForFunction(() => /Training: epoch 1 of 2, batch 2 of 4/.test(document.getElementById('teach-text').textContent), null, { timeout: 300_000 });
  await screenshot(page, 'teach-6-network-training');
  await page.waitForSelector('#teach-status[data-state="done"], #teach-status[data-state="error"]', { timeout: 300_000 });
  const status = await page.locator('#teach-status').textContent();
  assert.match(status, /2 epoch\(s\) on 16 images, validated on 4/, status);
  assert.equal(await page.locator('#teach-curves circle.dot').count(), 2 * 2 * 2);
  const bundle = path.join(work, 'network-bundle');
  fs.mkdirSync(bundle);
  await download(page, 'Download model.json', bundle);
  await download(page, 'Download weights.bpk', bundle);
  const manifest = JSON.parse(fs.readFileSync(path.join(bundle, 'model.json'), 'utf8'));
  assert.equal(manifest.training.settings.freeze_backbone, false);
  assert.equal(manifest.training.settings.no_augment, false);
  assert.match(manifest.source_weights, /fine-tuned$/);

  // The trainer with the same settings takes the same steps on the same augmented pixels; the
  // page computes with burn's operations, the trainer with its own kernels: close, not equal.
  const checkpoints = path.join(work, 'network-checkpoints');
  trainer(['train', '--train-data', small, '--pretrained', path.join(ROOT, 'www/models/logo'), '--epochs', '2', '--batch-size', '4', '--seed', SEED, '--checkpoint-dir', checkpoints]);
  const native = JSON.parse(fs.readFileSync(path.join(checkpoints, 'metrics.json'), 'utf8')).epochs;
  manifest.training.history.forEach((epoch, i) => {
    for (const key of ['train_loss', 'val_loss']) {
      assertClose([epoch[key]], [native[i][key]], 1e-3 * Math.max(1, Math.abs(native[i][key])), `epoch ${i + 1} ${key}`);
    }
  });
  // Its backbone is exported whole: the page loads it back and predicts what the trainer does.
  const report = evaluate(bundle, small, 'eval-network');
  await loadBackAndPredict(page, bundle, 'fine-tuned', small, report);

  // Cancel in the second epoch's batches: the first epoch is kept, nothing of the second.
  await page.fill('#teach-epochs', '50');
  await page.setInputFiles('#teach-input', small);
  await page.waitForFunction(() => /Training: epoch 2 of 50, batch 1 of 4/.test(document.getElementById('teach-text').textContent), null, { timeout: 300_000 });
  await page.click('#teach-cancel');
  await page.waitForSelector('#teach-status[data-state="cancelled"], #teach-status[data-state="error"]', { timeout: 120_000 });
  assert.match(await page.locator('#teach-status').textContent(), /^Cancelled after .*: 1 epoch\(s\)/);
  assertNoProblems(session);
  await session.context.close();
});

test('classes built in the page, image by image, are taught like a folder from the ImageNet backbone; an empty one is refused', { skip, timeout: 300_000 }, async () => {
  const session = await openPage(browser, { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  await page.waitForFunction(() => document.getElementById('teach-epochs').value !== '');
  await page.fill('#teach-epochs', '3');
  // The ImageNet backbone the site ships, at its own 224 px (the loaded model's is 320): fetched
  // only when Teach starts from it.
  const fetched = [];
  page.on('request', (request) => fetched.push(new URL(request.url()).pathname));
  await page.selectOption('#teach-start', { label: "ImageNet EfficientNet-Lite0's backbone" });
  await page.click('#teach-build summary');
  const addClass = async (name) => {
    await page.fill('#teach-class-name', name);
    await page.click('#teach-add-class');
  };
  await addClass('a/b');
  assert.match(await page.locator('#teach-build-status').textContent(), /cannot contain “\/”/);
  await addClass('brand');
  await addClass('plain');
  await addClass('empty');
  for (const [name, from] of [['brand', 'logo'], ['plain', 'others']]) {
    const source = path.join(ROOT, 'data/sample/train', from);
    const files = imagesIn(source).slice(0, 8).map((file) => path.join(source, file));
    const id = await page.locator(`#teach-classes li[data-class="${name}"] input[type=file]:not([capture])`).getAttribute('id');
    await page.setInputFiles(`#${id}`, files.slice(0, 5));
    await page.setInputFiles(`#${id}`, files.slice(5));
    assert.match(await page.locator(`#teach-classes li[data-class="${name}"] .count`).textContent(), /8 images/);
  }
  assert.equal(await page.locator('#teach-classes li[data-class="brand"] input[capture="environment"]').count(), 1, 'a camera button per class');
  assert.ok(!fetched.some((file) => file.includes('imagenet-lite0')), `fetched before Teach started: ${fetched}`);
  await page.click('#teach-start-built');
  await page.waitForSelector('#teach-status[data-state="error"]');
  assert.match(await page.locator('#teach-status').textContent(), /class 'empty' has no images/);

  await page.locator('#teach-classes li[data-class="empty"]').getByRole('button', { name: 'Remove' }).click();
  await page.click('#teach-start-built');
  await page.waitForSelector('#teach-status[data-state="done"], #teach-status[data-state="error"]', { timeout: 120_000 });
  const status = await page.locator('#teach-status').textContent();
  assert.match(status, /3 epoch\(s\) on 12 images, validated on 4/, status);
  assert.match(await page.locator('#teach-results h3').textContent(), /my classes/);
  await screenshot(page, 'teach-5-built-classes');
  const bundle = path.join(work, 'imagenet-bundle');
  fs.mkdirSync(bundle);
  await download(page, 'Download model.json', bundle);
  const manifest = JSON.parse(fs.readFileSync(path.join(bundle, 'model.json'), 'utf8'));
  assert.deepEqual([manifest.arch, manifest.image_size, manifest.classes], ['efficientnet-lite0', 224, ['brand', 'plain']]);
  assert.match(manifest.source_weights, /ImageNet/);
  assertNoProblems(session);
  await session.context.close();
});
