// `cargo xtask site`'s folder, served at a sub-path (/some/path/) as a static host would: the page
// works there and asks nothing outside it; `?model=` links open a bundle, checked against its
// checksum, and say why when they cannot; the layout holds at a phone's 360 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS,
  ROOT,
  SAMPLE_VAL,
  SITE_URL,
  assertNoProblems,
  chromiumForThisFile,
  classifyByDrop,
  imagesIn,
  openPage,
  screenshot,
  waitForModel,
} from './harness.mjs';

const { skip: noPage, browser } = chromiumForThisFile();
const skip = noPage || (!SITE_URL && 'EFFILENS_SITE_URL is not set (cargo xtask test serves the site)');

const poster = () => {
  const name = imagesIn(path.join(SAMPLE_VAL, 'logo'))[0];
  return { name, path: path.join(SAMPLE_VAL, 'logo', name) };
};

/** Every request of the session stayed below the site's own path (or in the browser). */
function assertStayedInSite(session) {
  const site = new URL(SITE_URL);
  const outside = session.requests.filter((url) => {
    const parsed = new URL(url);
    if (parsed.protocol === 'blob:' || parsed.protocol === 'data:') return false;
    return parsed.origin !== site.origin || !parsed.pathname.startsWith(site.pathname);
  });
  assert.deepEqual(outside, [], 'requests outside the site folder');
}

test('the published folder works from a sub-path and asks for nothing outside it', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { base: SITE_URL, params: { backend: 'cpu' } });
  const { page } = session;
  await waitForModel(page);
  const result = await classifyByDrop(page, poster());
  assert.match(result.label, /^logo \d\.\d\d$/);
  await page.setInputFiles('#report-input', path.join(ROOT, 'tests/fixtures/evaluation/records.json'));
  await page.waitForSelector('#evaluation-results:not([hidden]) table.confusion');
  assert.ok(fs.existsSync(path.join(ARTIFACTS, 'site/_headers')) && fs.existsSync(path.join(ARTIFACTS, 'site/HOSTING.md')));
  assertNoProblems(session);
  assertStayedInSite(session);
  await session.context.close();
});

test('?model= opens a linked bundle and shows where it came from', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { base: SITE_URL, params: { backend: 'cpu', model: 'models/logo/model.json' } });
  const { page } = session;
  await waitForModel(page);
  assert.match(await page.locator('#model-status').textContent(), /\(linked\) is ready/);
  const facts = await page.locator('#model-facts').textContent();
  assert.match(facts, /Loaded from\/some\/path\/models\/logo\/model\.json/);
  assert.match(facts, /Accuracy when exported/);
  // What `trainer eval --record` wrote into the bundled model: its source-disjoint test score.
  assert.match(facts, /Recorded on "test"accuracy \d+\.\d% \(80 images\); logo P \d+\.\d% R \d+\.\d%; others P .*; pointing game \d+\.\d%/);
  assert.equal(await page.locator('#model-select').inputValue(), 'linked');
  assertNoProblems(session);
  assertStayedInSite(session);
  await session.context.close();
});

test('a tampered or foreign ?model= link says why and the bundled model loads instead', { skip, timeout: 240_000 }, async () => {
  const tampered = path.join(ARTIFACTS, 'tampered-bundle');
  fs.rmSync(tampered, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'www/models/logo'), tampered, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(tampered, 'model.json'), 'utf8'));
  const weights = path.join(tampered, manifest.weights.file);
  const bytes = fs.readFileSync(weights);
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(weights, bytes);

  for (const [link, why] of [
    ['/test-artifacts/tampered-bundle/model.json', /SHA-256|checksum/i],
    ['https://example.invalid/model.json', /must name a model\.json on this site/],
  ]) {
    const session = await openPage(browser(), { base: SITE_URL, params: { backend: 'cpu', model: link } });
    const { page } = session;
    await page.waitForSelector('#notice:not([hidden])', { timeout: 120_000 });
    assert.match(await page.locator('#notice').textContent(), why, link);
    await waitForModel(page);
    const status = await page.locator('#model-status').textContent();
    assert.match(status, /^logo is ready/, 'the site\'s own first model (named by its manifest)');
    assert.doesNotMatch(status, /linked/);
    await session.context.close();
  }
});

test('on a phone: 360 px wide without sideways scrolling, and a camera button', { skip, timeout: 180_000 }, async () => {
  const session = await openPage(browser(), { base: SITE_URL, params: { backend: 'cpu' }, viewport: { width: 360, height: 740 } });
  const { page } = session;
  await waitForModel(page);
  await classifyByDrop(page, poster());
  await screenshot(page, 'site-phone-360px');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide at a 360 px viewport`);
  assert.equal(await page.locator('#camera-input').getAttribute('capture'), 'environment');
  assert.equal(await page.locator('#camera-input').getAttribute('accept'), 'image/*');
  assertNoProblems(session);
  await session.context.close();
});
