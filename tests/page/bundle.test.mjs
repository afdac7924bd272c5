// "Load your own": a bundle whose weights do not match its manifest is refused with the Rust
// side's message while the current model keeps working; an intact copy loads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT,
  SAMPLE_VAL,
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

const skip = browserSkipReason();
let browser;
let temp;

/** The first bundled model's files (www/models/index.json), copied twice: intact and corrupted. */
function copyBundles() {
  const index = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/models/index.json'), 'utf8'));
  const source = path.join(ROOT, 'www', index[0].path);
  const manifest = JSON.parse(fs.readFileSync(path.join(source, 'model.json'), 'utf8'));
  temp = fs.mkdtempSync(path.join(os.tmpdir(), 'effilens-bundle-'));
  const copy = (name, corrupt) => {
    const dir = path.join(temp, name);
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(source, 'model.json'), path.join(dir, 'model.json'));
    const weights = fs.readFileSync(path.join(source, manifest.weights.file));
    if (corrupt) weights[weights.length >> 1] ^= 0xff; // one flipped byte: the checksum must catch it
    fs.writeFileSync(path.join(dir, manifest.weights.file), weights);
    return [path.join(dir, 'model.json'), path.join(dir, manifest.weights.file)];
  };
  return { good: copy('good', false), bad: copy('bad', true), name: manifest.name };
}

before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (temp) fs.rmSync(temp, { recursive: true, force: true });
});

test('a corrupted bundle is refused with a message; an intact one loads', { skip, timeout: 300_000 }, async () => {
  const bundles = copyBundles();
  const session = await openPage(browser, { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  const before = await page.locator('#model-status').textContent();

  await page.setInputFiles('#bundle-input', bundles.bad);
  await page.waitForSelector('#notice:not([hidden])', { timeout: 120_000 });
  const notice = await page.locator('#notice').textContent();
  assert.match(notice, /^Could not load that model: \S/, 'the Rust message is shown');
  await page.waitForSelector('#model-status[data-state="ready"]');
  assert.equal(await page.locator('#model-status').textContent(), before, 'the previous model is still loaded');
  await screenshot(page, 'bundle-refused');

  const name = imagesIn(path.join(SAMPLE_VAL, 'logo'))[0];
  const file = { name, path: path.join(SAMPLE_VAL, 'logo', name) };
  await classifyByDrop(page, file);

  await page.setInputFiles('#bundle-input', bundles.good);
  await page.waitForFunction(() => /\(your files\) is ready/.test(document.getElementById('model-status').textContent), null, { timeout: 120_000 });
  assert.match(await page.locator('#model-select').inputValue(), /^own$/);
  await classifyByDrop(page, file);
  await screenshot(page, 'bundle-own-loaded');

  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
