// (c) A messy folder — non-images, a corrupt and a truncated JPEG, a scan bomb, a file over the
// size limit, a zero-byte file, a macOS
// "._" companion, hidden files and folders, nested folders, unicode names, files outside class
// folders and a file named like an HTML injection — completes, lists every skipped file with its
// reason, renders names as text and runs no script; and its JSON report lists the same files,
// with the same reasons, as `trainer eval`'s for the same folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT,
  SAMPLE_VAL,
  TRAINER,
  assertClose,
  assertNoProblems,
  assertStayedLocal,
  browserSkipReason,
  downloadText,
  imagesIn,
  launchChromium,
  openPage,
  parsePredictions,
  screenshot,
  waitForModel,
} from './harness.mjs';

const skip = browserSkipReason({ needsTrainer: true });
const ROOT_NAME = 'posters ünïcødé';
const XSS_NAME = '<img src=x onerror=alert(1)>.png';
const UNICODE_NAME = 'café ☕ 海报 🎉.jpeg';

let browser;
let folder;

/** Builds the folder; returns what the page must classify and skip. */
function makeMessyFolder() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'effilens-messy-'));
  const root = path.join(base, ROOT_NAME);
  const logo = path.join(SAMPLE_VAL, 'logo', imagesIn(path.join(SAMPLE_VAL, 'logo'))[0]);
  const others = path.join(SAMPLE_VAL, 'others', imagesIn(path.join(SAMPLE_VAL, 'others'))[0]);
  const put = (relative, content) => {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof content === 'string' && fs.existsSync(content)) fs.copyFileSync(content, file);
    else fs.writeFileSync(file, content);
  };
  put('logo/poster.jpeg', logo);
  put('logo/nested/deeper/poster.jpeg', logo);
  put(`logo/${UNICODE_NAME}`, logo);
  put(`others/${XSS_NAME}`, others); // JPEG bytes under a .png name: decoders sniff the content
  put('others/corrupt.jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(300, 0x5a)]));
  put('others/empty.jpeg', Buffer.alloc(0));
  put('others/fake.png', 'this is text, not a PNG\n');
  put('others/notes.txt', 'a text file\n');
  put('others/README', 'no extension\n');
  put('unknown-class/poster.jpeg', logo);
  put('top-level.jpeg', logo);
  put('logo/._poster.jpeg', Buffer.from('\x00\x05\x16\x07 AppleDouble'));
  put('logo/.DS_Store', 'Bud1');
  put('.git/HEAD', 'ref: refs/heads/main\n');
  const jpeg = fs.readFileSync(logo);
  put('others/cut.jpeg', jpeg.subarray(0, jpeg.length >> 1));
  // A scan bomb: the poster's scan 150 times over (each a full pass to decode), and a file over
  // the size limit, which the page must refuse from File.size without reading it.
  const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const scan = jpeg.subarray(sos, jpeg.length - 2);
  put('others/scans.jpeg', Buffer.concat([jpeg.subarray(0, sos), ...Array(150).fill(scan), Buffer.from([0xff, 0xd9])]));
  put('others/huge.jpeg', Buffer.alloc(64 * 1024 * 1024 + 1));
  return {
    root,
    classified: [`${ROOT_NAME}/logo/nested/deeper/poster.jpeg`, `${ROOT_NAME}/logo/poster.jpeg`, `${ROOT_NAME}/logo/${UNICODE_NAME}`, `${ROOT_NAME}/others/${XSS_NAME}`],
    skipped: {
      // The wasm's reasons: a JPEG header over garbage cannot be decoded; text is no known format.
      [`${ROOT_NAME}/others/corrupt.jpeg`]: /decode/i,
      [`${ROOT_NAME}/others/fake.png`]: /not a supported image|decode/i,
      [`${ROOT_NAME}/others/empty.jpeg`]: /empty|0 bytes/i,
      [`${ROOT_NAME}/others/notes.txt`]: /not an image/i,
      [`${ROOT_NAME}/others/README`]: /not an image/i,
      [`${ROOT_NAME}/unknown-class/poster.jpeg`]: /not a class/i,
      [`${ROOT_NAME}/top-level.jpeg`]: /not in a class folder/i,
      [`${ROOT_NAME}/logo/._poster.jpeg`]: /macOS metadata file/,
      [`${ROOT_NAME}/logo/.DS_Store`]: /hidden file/,
      [`${ROOT_NAME}/.git/HEAD`]: /in a hidden folder/,
      [`${ROOT_NAME}/others/cut.jpeg`]: /^ — truncated JPEG/,
      [`${ROOT_NAME}/others/scans.jpeg`]: /^ — JPEG has 150 scans, more than the 100-scan limit/,
      [`${ROOT_NAME}/others/huge.jpeg`]: /^ — file is 67108865 bytes, more than the 67108864-byte limit/,
    },
  };
}

before(async () => {
  if (skip) return;
  folder = makeMessyFolder();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (folder) fs.rmSync(path.dirname(folder.root), { recursive: true, force: true });
});

test('a messy folder completes, lists skipped files with reasons and runs no script', { skip, timeout: 300_000 }, async () => {
  const session = await openPage(browser, { params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);

  await page.setInputFiles('#folder-input', folder.root);
  await page.waitForSelector('#evaluation-results:not([hidden]) table.confusion', { timeout: 240_000 });

  const skippedCount = Object.keys(folder.skipped).length;
  assert.match(
    await page.locator('.summary').textContent(),
    new RegExp(`^${folder.classified.length} of \\d+ images classified · ${skippedCount} skipped`),
  );

  // Every skipped file is listed, with a reason that says why.
  const listed = await page.$$eval('ul.skipped li', (items) =>
    items.map((li) => ({ path: li.querySelector('.path')?.textContent, reason: li.querySelector('.reason')?.textContent })),
  );
  assert.equal(listed.length, skippedCount, `skipped list: ${JSON.stringify(listed)}`);
  for (const [skippedPath, reason] of Object.entries(folder.skipped)) {
    const entry = listed.find((l) => l.path === skippedPath);
    assert.ok(entry, `${skippedPath} is not listed as skipped`);
    assert.match(entry.reason, reason, `reason for ${skippedPath}`);
  }

  // Names are text: the injection-like name is shown verbatim and became no element.
  const cells = await page.$$eval('table.predictions td.path', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual([...cells].sort(), [...folder.classified].sort());
  assert.ok(await page.getByText(XSS_NAME, { exact: false }).count() > 0, 'the HTML-like name is shown as text');
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no <img src=x> was created');
  assert.ok(await page.getByText(UNICODE_NAME, { exact: false }).count() > 0, 'the unicode name is shown');
  await screenshot(page, 'c1-messy-results');

  // predictions.txt has one line per classified image, unicode and nested paths intact.
  const lines = parsePredictions(await downloadText(page, 'predictions.txt'));
  assert.deepEqual(lines.map((l) => l.path), [...folder.classified].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));

  // The same folder through `trainer eval`, run beside it so that both name it the same: the same
  // files skipped for the same reasons, the same predictions, byte for byte but the probabilities.
  const pageReport = JSON.parse(await downloadText(page, 'JSON'));
  const out = path.join(path.dirname(folder.root), 'trainer', 'predictions.txt');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const model = path.join(ROOT, 'www/models/logo');
  execFileSync(TRAINER, ['eval', '--model', model, '--data', ROOT_NAME, '--out', out], { cwd: path.dirname(folder.root), stdio: 'pipe' });
  const trainerReport = JSON.parse(fs.readFileSync(out.replace(/\.txt$/, '.json'), 'utf8'));
  assert.deepEqual(pageReport.skipped, trainerReport.skipped);
  const strip = (report) => report.predictions.map(({ probabilities, ...rest }) => rest);
  assert.deepEqual(strip(pageReport), strip(trainerReport));
  pageReport.predictions.forEach((p, i) => assertClose(p.probabilities, trainerReport.predictions[i].probabilities, 1e-4, p.path));
  for (const key of ['format', 'format_version', 'model', 'data', 'classes', 'decision', 'complete', 'images', 'skipped_files', 'confusion_matrix']) {
    assert.deepEqual(pageReport[key], trainerReport[key], key);
  }

  // Give a delayed onerror handler the chance to fire before checking that none did.
  await page.waitForTimeout(500);
  assert.deepEqual(session.dialogs, [], 'a script ran (dialog opened)');
  assertNoProblems(session);
  assertStayedLocal(session);
  await session.context.close();
});
