// Shared set-up for the page tests: Debian's Chromium driven by playwright-core, a record of
// every request (none may leave 127.0.0.1), dialogs, page errors and CSP violations, screenshots
// into test-artifacts/, and the trainer's predictions.txt.
//
// What the test harness provides (environment):
//   EFFILENS_URL                    the page, served by the Rust dev server on 127.0.0.1
//                                   (www/ with the wasm builds in www/pkg/ and the bundle
//                                   named first in www/models/index.json)
//   EFFILENS_ROOT                   the repository root (data/sample/val lives there)
//   EFFILENS_EXPECTED_PREDICTIONS   `trainer eval` output (predictions.txt) for data/sample/val
//                                   with that same bundle
//   EFFILENS_TRAINER                the trainer binary, for images made during a test
//   EFFILENS_CHROMIUM               optional; defaults to /usr/bin/chromium
// Without EFFILENS_URL the browser tests are skipped (the pure-JS tests still run).
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const PAGE_URL = process.env.EFFILENS_URL || '';
/** `cargo xtask site`'s folder, served by the same server at a sub-path (…/some/path/). */
export const SITE_URL = process.env.EFFILENS_SITE_URL || '';
export const ROOT = process.env.EFFILENS_ROOT || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXPECTED_PREDICTIONS = process.env.EFFILENS_EXPECTED_PREDICTIONS || '';
/** The trainer binary cargo xtask test built (its predictions are EXPECTED_PREDICTIONS). */
export const TRAINER = process.env.EFFILENS_TRAINER || '';
export const SAMPLE_VAL = path.join(ROOT, 'data/sample/val');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** Reason to skip a browser test, or false when it can run. */
export function browserSkipReason({ needsExpected = false, needsTrainer = false } = {}) {
  if (!PAGE_URL) return 'EFFILENS_URL is not set (the test harness starts the dev server and sets it)';
  if (needsExpected && !EXPECTED_PREDICTIONS) return 'EFFILENS_EXPECTED_PREDICTIONS is not set';
  if (needsTrainer && !TRAINER) return 'EFFILENS_TRAINER is not set';
  return false;
}

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium, with software WebGPU when `webgpu` (without it the page must choose CPU). */
export function launchChromium({ webgpu = false } = {}) {
  return chromium.launch({
    executablePath: process.env.EFFILENS_CHROMIUM || '/usr/bin/chromium',
    args: webgpu ? [...BASE_ARGS, '--enable-unsafe-webgpu'] : BASE_ARGS,
  });
}

/**
 * One Chromium for a test file: started before its tests and closed after them (node:test hooks).
 * Returns { skip, browser } where skip is why the file's browser tests cannot run (or false) and
 * browser() is the running Chromium.
 */
export function chromiumForThisFile({ webgpu = false, needsExpected = false, needsTrainer = false } = {}) {
  const skip = browserSkipReason({ needsExpected, needsTrainer });
  let browser = null;
  before(async () => {
    if (!skip) browser = await launchChromium({ webgpu });
  });
  after(() => browser?.close());
  return { skip, browser: () => browser };
}

/** The page URL (or another `base`) with query parameters, e.g. { backend: 'cpu' }. */
export function pageUrl(params = {}, base = PAGE_URL) {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

/**
 * A fresh context and page that records what happens: requests (page and workers), dialogs
 * (dismissed, so a stray alert cannot hang the test), uncaught page errors and CSP violations.
 * `prepare(context)` runs before the page is opened (e.g. to install routes).
 */
export async function openPage(browser, { params = { backend: 'cpu' }, viewport = { width: 1100, height: 900 }, prepare, base = PAGE_URL } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const session = { context, page: null, requests: [], dialogs: [], problems: [] };
  // The context sees requests from the page and from its workers.
  context.on('request', (request) => session.requests.push(request.url()));
  await prepare?.(context);
  const page = await context.newPage();
  session.page = page;
  page.on('dialog', (dialog) => {
    session.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => session.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) session.problems.push(`CSP: ${message.text()}`);
  });
  await page.goto(pageUrl(params, base));
  return session;
}

/**
 * For openPage's `prepare`: serves every response without the headers that make the page
 * cross-origin isolated, as a host that does not send them would (the page then has no shared
 * memory, so no threaded wasm).
 */
export async function withoutIsolation(context) {
  await context.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
}

/** How many threads the page says the CPU backend computes on. */
export async function threadsOf(page) {
  return Number(await page.locator('#backend-status').getAttribute('data-threads'));
}

/** Every request went to 127.0.0.1 (or stayed in the browser: blob:, data:). */
export function assertStayedLocal(session) {
  assert.ok(session.requests.length > 0, 'no request was recorded at all');
  const pageHost = new URL(PAGE_URL).hostname;
  const outside = session.requests.filter((url) => {
    const { protocol, hostname } = new URL(url);
    if (protocol === 'blob:' || protocol === 'data:') return false;
    return hostname !== '127.0.0.1' && !(hostname === pageHost && ['localhost', '[::1]'].includes(pageHost));
  });
  assert.deepEqual(outside, [], 'requests left 127.0.0.1');
}

/** No uncaught page error, no CSP violation, no dialog. */
export function assertNoProblems(session) {
  assert.deepEqual(session.problems, [], 'page errors or CSP violations');
  assert.deepEqual(session.dialogs, [], 'a dialog was opened');
}

/** Waits until the first model is loaded; fails with the page's own message if it cannot. */
export async function waitForModel(page, { timeout = 120_000 } = {}) {
  const status = page.locator('#model-status');
  await page.waitForSelector('#model-status[data-state="ready"], #model-status[data-state="error"]', { timeout });
  const state = await status.getAttribute('data-state');
  assert.equal(state, 'ready', `model did not load: ${await status.textContent()}`);
}

/** The backend the page says it runs ("cpu" | "webgpu"). */
export function backendOf(page) {
  return page.locator('#backend-status').getAttribute('data-backend');
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Image files of a folder, sorted bytewise by name (the trainer's order). */
export function imagesIn(directory) {
  return fs
    .readdirSync(directory)
    .filter((name) => /\.(jpe?g|png|webp|gif|bmp)$/i.test(name))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * Drops files onto the page as a person would (dragenter, dragover, drop with a DataTransfer
 * holding them). `files`: [{ name, path }] read here, or [{ name, bytes }].
 */
export async function dropFiles(page, files) {
  const payload = files.map((f) => ({
    name: f.name,
    base64: (f.bytes ?? fs.readFileSync(f.path)).toString('base64'),
    type: f.type ?? (/\.png$/i.test(f.name) ? 'image/png' : /\.jpe?g$/i.test(f.name) ? 'image/jpeg' : ''),
  }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const transfer = new DataTransfer();
    for (const item of items) {
      const bytes = Uint8Array.from(atob(item.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], item.name, { type: item.type }));
    }
    return transfer;
  }, payload);
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent('body', type, { dataTransfer });
  }
  await dataTransfer.dispose();
}

/** Drops one image and waits for its result; returns { label, probabilities: { class: p } }. */
export async function classifyByDrop(page, file, { timeout = 60_000 } = {}) {
  // The panel's data-state goes to "pending" first; wait for this drop's answer, not the last one.
  await page.evaluate(() => document.getElementById('classify-result').removeAttribute('data-state'));
  await dropFiles(page, [file]);
  await page.waitForSelector('#classify-result[data-state="done"], #classify-result[data-state="error"]', { timeout });
  const state = await page.locator('#classify-result').getAttribute('data-state');
  assert.equal(state, 'done', `classification failed: ${await page.locator('#prediction').textContent()}`);
  const probabilities = Object.fromEntries(
    await page.$$eval('#class-bars li[data-class]', (items) => items.map((li) => [li.dataset.class, Number(li.dataset.probability)])),
  );
  return { label: (await page.locator('#prediction').textContent()).trim(), probabilities };
}

/** A photo's size, portrait: a 12-megapixel phone camera's. */
export const PHOTO_SIZE = [3024, 4032];

/**
 * A File inside the page, as if a poster had been photographed: `filePath` enlarged to
 * PHOTO_SIZE, with noise of ±4 levels so that it compresses like a photo instead of a smooth
 * enlargement (about 2 MB), encoded as JPEG by Chromium. Returns its handle.
 */
export function photoInPage(page, filePath) {
  const base64 = fs.readFileSync(filePath).toString('base64');
  const [width, height] = PHOTO_SIZE;
  return page.evaluateHandle(
    async ({ base64, width, height }) => {
      const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))]));
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext('2d');
      context.drawImage(bitmap, 0, 0, width, height);
      const pixels = context.getImageData(0, 0, width, height);
      let state = 1; // a fixed linear congruential sequence: the same photo every run
      for (let i = 0; i < pixels.data.length; i++) {
        if (i % 4 === 3) continue; // alpha
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        pixels.data[i] += ((state >>> 24) % 9) - 4; // a Uint8ClampedArray: clamps at 0 and 255
      }
      context.putImageData(pixels, 0, 0);
      const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
      return new File([jpeg], 'photo.jpg', { type: 'image/jpeg' });
    },
    { base64, width, height },
  );
}

/** Clicks a download button and returns the downloaded file's text. */
export async function downloadText(page, buttonName) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
  const file = await download.path();
  return fs.readFileSync(file, 'utf8');
}

/**
 * Parses predictions.txt: per line, C probabilities (with a decimal point), C one-hot true, C
 * one-hot predicted, then the path (which may contain spaces).
 */
export function parsePredictions(text) {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const tokens = line.split(' ');
      let classCount = 0;
      while (/^-?\d+\.\d+$/.test(tokens[classCount])) classCount += 1;
      assert.ok(classCount > 0 && tokens.length > 3 * classCount, `malformed predictions line: ${line}`);
      const numbers = tokens.slice(0, 3 * classCount);
      return {
        probabilities: numbers.slice(0, classCount).map(Number),
        trueOneHot: numbers.slice(classCount, 2 * classCount).join(' '),
        predictedOneHot: numbers.slice(2 * classCount).join(' '),
        path: tokens.slice(3 * classCount).join(' '),
      };
    });
}

export function readExpectedPredictions() {
  return parsePredictions(fs.readFileSync(EXPECTED_PREDICTIONS, 'utf8'));
}

/**
 * The trainer's line for a page path, or undefined. The page knows a folder only by its own name
 * ("val/logo/1.jpeg"); the trainer writes the path it was given ("./data/sample/val/logo/1.jpeg").
 */
export function expectedFor(expected, pagePath) {
  return expected.find((e) => e.path === pagePath || e.path.endsWith('/' + pagePath));
}

/** Probabilities equal within `tolerance`, element by element. */
export function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: number of classes`);
  actual.forEach((a, i) => {
    assert.ok(Math.abs(a - expected[i]) <= tolerance, `${what}: p[${i}] = ${a}, trainer ${expected[i]} (tolerance ${tolerance})`);
  });
}
