// The first start's last step (xtask/src/bench/first_start.rs): opens the page that a fresh
// `cargo xtask serve` answers at EFFILENS_URL, waits for the bundled model and classifies one
// test poster. Prints { model_ms, prediction_ms, label } as JSON; fails as the page tests do when
// the page cannot load or answer.
import path from 'node:path';
import { ROOT, classifyByDrop, imagesIn, launchChromium, openPage, waitForModel } from './harness.mjs';

const folder = path.join(ROOT, 'data/sample/test/logo');
const poster = imagesIn(folder)[0];
const browser = await launchChromium();
try {
  const started = performance.now();
  const { page, problems } = await openPage(browser, { params: { backend: 'cpu' } });
  await waitForModel(page, { timeout: 300_000 });
  const modelMs = performance.now() - started;
  const { label } = await classifyByDrop(page, { name: poster, path: path.join(folder, poster) }, { timeout: 300_000 });
  if (problems.length) throw new Error(`the page reported problems: ${problems.join('; ')}`);
  console.log(JSON.stringify({ model_ms: modelMs, prediction_ms: performance.now() - started, label }));
} finally {
  await browser.close();
}
