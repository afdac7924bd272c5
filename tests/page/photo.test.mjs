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
