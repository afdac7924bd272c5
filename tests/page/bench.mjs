// Browser benchmarks for `cargo xtask bench`: the page as served, in Debian's headless Chromium,
// through the page tests' harness (harness.mjs). Prints one JSON object on standard output;
// progress goes to standard error. Not named *.test.mjs, so `node --test tests/page/` leaves it
// alone.
//
// Rows, each a median with min and max over timed runs after untimed warm-up runs, timed on the
// page's own clock (performance.now()) so that automation round trips stay out of them:
//   browser/cold-start/cpu        navigation → first prediction shown: a fresh browser (no HTTP
//                                 or compiled-wasm cache), the bundled model loaded and warmed
//                                 up, then one image dropped the moment the page says it is ready
//   browser/latency/cpu-threads   drop → prediction shown, one image, warm page, CPU, the page
//                                 as served (cross-origin isolated: the threaded build)
//   browser/latency/cpu           the same without cross-origin isolation (the one-thread build)
//   browser/latency-photo/cpu-threads, …/cpu
//                                 the same with a poster photographed at 12 megapixels: a
//                                 3024 × 4032 JPEG made in the page (the sample poster enlarged,
//                                 with faint noise, Chromium's encoder at quality 0.92)
//   browser/latency/webgpu        the same on the WebGPU build (headless Chromium's adapter is
//                                 usually SwiftShader, software and slow: few runs)
//   browser/evaluate-folder/cpu-threads, …/cpu
//                                 data/sample/val picked as a folder → results shown (images/s),
//                                 with and without cross-origin isolation
//   browser/teach/cpu-threads, …/cpu
//                                 Teach, head only: data/sample/train picked → bundle ready,
//                                 the default settings; cargo xtask bench sets the native
//                                 trainer making the same bundle beside it (xtask/src/bench/teach.rs)
//   browser/teach-epochs/cpu-threads, …/cpu
//                                 of that, the head's epochs (after the features)
//   browser/teach-imagenet/cpu-threads  the same from the shipped ImageNet Lite0 (224 px)
//   browser/teach-network/cpu-threads
//                                 Teach, whole network, one epoch of data/sample/train, batches of
//                                 4, augmented: training images per second of the epoch
//                                 (validation included); cargo xtask bench sets `trainer train`
//                                 with the same settings beside it (its epoch without validation)
//   browser/teach-network-memory/cpu-threads
//                                 the worker's wasm memory after it (full runs only)
//   browser/teach-2000/cpu-threads, browser/teach-2000-memory/cpu-threads
//                                 the same on 2,000 images (data/sample/train ten times over), and
//                                 the worker's wasm memory after it (full runs only)
//   browser/forward/cpu-threads, …/cpu
//                                 one forward pass alone (a blank image at the bundle's size, in memory),
//                                 in a worker of the served page, 2 threads and 1
//   browser/forward/webgpu        the same on the WebGPU build (few runs, as above)
//
// The forward rows need the files cargo xtask bench serves at /bench/: bench-forward-worker.js
// and, where the PyTorch step could export it, an ONNX export of the bundled model's
// architecture, with onnxruntime-web's files (npm ci) at /bench/ort/. ONNX Runtime Web runs that
// export in the same kind of worker, as the reference: its wasm backend on as many threads beside
// the CPU rows, its WebGPU backend beside the WebGPU forward row; `session.run` of one image for
// the forward rows, of batches of 16 (no decoding) for the folder rows. Its rows come out as
// { source: "onnxruntime-web", rows } with the ids of the rows they are the reference for.
//
// Environment: EFFILENS_URL (cargo xtask bench starts the server and sets it), EFFILENS_ROOT and
// EFFILENS_CHROMIUM as for the page tests. `--quick`: fewer runs.
//
// Output: { source: "browser", versions: { chromium, onnxruntime-web }, webgpu_adapter, quick,
//           rows: [{ id, label, unit, median, min, max, runs, warmup }], notes: [string],
//           reference: { source: "onnxruntime-web", rows } | null }
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PAGE_URL,
  PHOTO_SIZE,
  ROOT,
  SAMPLE_VAL,
  backendOf,
  imagesIn,
  launchChromium,
  openPage,
  photoInPage,
  threadsOf,
  waitForModel,
  withoutIsolation,
} from './harness.mjs';

const QUICK = process.argv.includes('--quick');
/** Only Teach's rows, on the threaded build (`cargo xtask bench --teach`). */
const TEACH_ONLY = process.argv.includes('--teach');

/** [warm-up runs, timed runs] per row. */
const PLAN = QUICK
  ? { coldStart: [1, 2], latencyCpu: [1, 5], latencyPhoto: [1, 3], latencyWebGpu: [1, 2], folder: [1, 2], teach: [0, 1], forward: [2, 5], forwardBatch: [1, 2] }
  : { coldStart: [1, 5], latencyCpu: [3, 20], latencyPhoto: [2, 10], latencyWebGpu: [1, 3], folder: [1, 3], teach: [1, 3], forward: [5, 30], forwardBatch: [1, 5] };

const SAMPLE_TRAIN = path.join(ROOT, 'data/sample/train');

/** Images per batch of the reference's throughput rows: the page evaluates folders in batches of 16. */
const REFERENCE_BATCH = 16;

/** Software WebGPU compiles every shader on the CPU: the first load takes minutes. */
const WEBGPU_LOAD_TIMEOUT = 300_000;

function progress(message) {
  process.stderr.write(`${message}\n`);
}

/** Values of each timed run of `run`, after the warm-up runs. */
async function timeRuns([warmup, runs], run) {
  for (let i = 0; i < warmup; i++) await run();
  const values = [];
  for (let i = 0; i < runs; i++) values.push(await run());
  return values;
}

function row(id, label, unit, [warmup, runs], values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { id, label, unit, median, min: sorted[0], max: sorted[sorted.length - 1], runs, warmup };
}

/** The first sample poster: what the page tests drop too. */
function sampleImage() {
  const directory = path.join(SAMPLE_VAL, 'logo');
  const name = imagesIn(directory)[0];
  if (!name) throw new Error(`no image in ${directory}`);
  return path.join(directory, name);
}

/** A File of `filePath`'s bytes inside the page, to drop again and again. */
function fileInPage(page, filePath) {
  const name = path.basename(filePath);
  const type = /\.png$/i.test(name) ? 'image/png' : /\.jpe?g$/i.test(name) ? 'image/jpeg' : '';
  const base64 = fs.readFileSync(filePath).toString('base64');
  return page.evaluateHandle(
    ({ name, type, base64 }) => new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name, { type }),
    { name, type, base64 },
  );
}

/**
 * Drops `file` (a File handle in the page) as a person would and waits for its result.
 * Returns { ms: drop → result shown, shownAt: ms since navigation start }.
 */
async function timedDrop(page, file) {
  const outcome = await page.evaluate(async (file) => {
    const panel = document.getElementById('classify-result');
    panel.removeAttribute('data-state');
    const settled = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (panel.dataset.state === 'done' || panel.dataset.state === 'error') {
          observer.disconnect();
          resolve(panel.dataset.state);
        }
      });
      observer.observe(panel, { attributes: true, attributeFilter: ['data-state'] });
    });
    const transfer = new DataTransfer();
    transfer.items.add(file);
    const started = performance.now();
    for (const type of ['dragenter', 'dragover', 'drop']) {
      document.body.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
    const state = await settled;
    const shownAt = performance.now();
    return { state, ms: shownAt - started, shownAt, message: document.getElementById('prediction').textContent };
  }, file);
  if (outcome.state !== 'done') throw new Error(`classification failed: ${outcome.message}`);
  return outcome;
}

/**
 * Records, from before the page's own scripts run, when the model status first says "ready"
 * (window.effilensReadyAt, ms since navigation start).
 */
function recordReadyTime(context) {
  return context.addInitScript(() => {
    const observer = new MutationObserver(() => {
      if (document.getElementById('model-status')?.dataset.state === 'ready') {
        window.effilensReadyAt = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  });
}

async function coldStart(imagePath) {
  const browser = await launchChromium();
  try {
    const { page } = await openPage(browser, { params: { backend: 'cpu' }, prepare: recordReadyTime });
    await waitForModel(page);
    const readyAt = await page.evaluate(() => window.effilensReadyAt);
    if (typeof readyAt !== 'number') throw new Error('the moment the model became ready was not recorded');
    const { ms } = await timedDrop(page, await fileInPage(page, imagePath));
    // As if the image had been dropped the moment the page said it was ready.
    return readyAt + ms;
  } finally {
    await browser.close();
  }
}

/** Warm drop → result latencies (ms) of `file` (a File handle) in a page whose model is loaded. */
function warmLatencies(page, repeats, file) {
  return timeRuns(repeats, async () => (await timedDrop(page, file)).ms);
}

/** The WebGPU adapter the page's browser offers, in words ("google swiftshader …, software"), or null. */
function webGpuAdapter(page) {
  return page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info || {};
    const words = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
    return (adapter.isFallbackAdapter ?? info.isFallbackAdapter) ? `${words}, software` : words;
  });
}

/** { adapter, values } of warm latencies on WebGPU, or { adapter, skipped: reason }. */
async function webGpuLatencies(browser, repeats, imagePath) {
  const { page, context } = await openPage(browser, { params: { backend: 'webgpu' } });
  try {
    const adapter = await webGpuAdapter(page);
    if (!adapter) return { adapter, skipped: 'this Chromium offers no WebGPU adapter, even with --enable-unsafe-webgpu' };
    await waitForModel(page, { timeout: WEBGPU_LOAD_TIMEOUT });
    const backend = await backendOf(page);
    if (backend !== 'webgpu') {
      return { adapter, skipped: `the page fell back to ${backend}: ${await page.locator('#notice').textContent()}` };
    }
    return { adapter, values: await warmLatencies(page, repeats, await fileInPage(page, imagePath)) };
  } finally {
    await context.close();
  }
}

/** Picks SAMPLE_VAL as a folder; returns { seconds: change event → results shown, images }. */
async function timedFolder(page) {
  await page.evaluate(() => {
    const input = document.getElementById('folder-input');
    const results = document.getElementById('evaluation-results');
    window.effilensFolderRun = new Promise((resolve) => {
      let started = null;
      // Capturing on the document runs before the page's own change listener.
      const onChange = (event) => {
        if (event.target !== input) return;
        started = performance.now();
        document.removeEventListener('change', onChange, true);
      };
      document.addEventListener('change', onChange, true);
      const observer = new MutationObserver(() => {
        if (started !== null && !results.hidden && results.querySelector('table.confusion')) {
          observer.disconnect();
          resolve({ ms: performance.now() - started, summary: results.querySelector('.summary')?.textContent ?? '' });
        }
      });
      observer.observe(results, { attributes: true, childList: true, subtree: true });
    });
  });
  await page.setInputFiles('#folder-input', SAMPLE_VAL);
  const { ms, summary } = await page.evaluate(() => window.effilensFolderRun);
  const match = /^(\d+) of \d+ images classified/.exec(summary);
  if (!match || Number(match[1]) === 0) throw new Error(`the evaluation classified nothing: "${summary}"`);
  return { seconds: ms / 1000, images: Number(match[1]) };
}

/**
 * Picks `folder` in Teach and waits for the bundle: { seconds (Train → bundle ready), epochs
 * (seconds of the head's epochs), memory (the worker's wasm memory after, bytes), images }.
 */
async function timedTeach(page, folder) {
  await page.waitForFunction(() => document.getElementById('teach-epochs').value !== '');
  await page.evaluate(() => (document.getElementById('teach-status').dataset.state = 'idle'));
  await page.setInputFiles('#teach-input', folder);
  await page.waitForSelector('#teach-status[data-state="done"], #teach-status[data-state="error"]', { timeout: 1_800_000 });
  const status = await page.evaluate(() => ({ ...document.getElementById('teach-status').dataset, text: document.getElementById('teach-status').textContent }));
  if (status.state !== 'done') throw new Error(`Teach failed: ${status.text}`);
  const images = /on (\d+) images, validated on (\d+)/.exec(status.text);
  return {
    seconds: Number(status.elapsedMs) / 1000,
    epochs: Number(status.epochsMs) / 1000,
    memory: Number(status.memoryBytes),
    images: images ? Number(images[1]) + Number(images[2]) : null,
    trained: images ? Number(images[1]) : null,
  };
}

/** data/sample/train ten times over (2,000 images), in a temporary folder: Teach's memory row. */
function tenfoldTrainingFolder() {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'effilens-teach-2000-')), 'train');
  for (const label of fs.readdirSync(SAMPLE_TRAIN)) {
    const source = path.join(SAMPLE_TRAIN, label);
    if (!fs.statSync(source).isDirectory()) continue;
    fs.mkdirSync(path.join(root, label), { recursive: true });
    for (const name of imagesIn(source)) {
      for (let copy = 0; copy < 10; copy++) fs.copyFileSync(path.join(source, name), path.join(root, label, `${copy}-${name}`));
    }
  }
  return root;
}

/** onnxruntime-web's version, where npm ci installed it. */
function onnxRuntimeVersion() {
  const manifest = path.join(ROOT, 'node_modules/onnxruntime-web/package.json');
  return fs.existsSync(manifest) ? JSON.parse(fs.readFileSync(manifest, 'utf8')).version : null;
}

/** Whether the server offers `file` (a path under the page's URL). */
async function served(file) {
  const response = await fetch(new URL(file, PAGE_URL), { method: 'HEAD' });
  return response.ok;
}

/** The input size of the forward rows: the bundled logo model's (bench-forward-worker.js). */
const FORWARD_SIZE = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/models/logo/model.json'), 'utf8')).image_size;

/** Per-pass milliseconds of `request` (see bench-forward-worker.js), in a fresh worker of `page`. */
function forwardPasses(page, request) {
  return page.evaluate(
    (request) =>
      new Promise((resolve, reject) => {
        const worker = new Worker('/bench/forward-worker.js', { type: 'module' });
        worker.onmessage = ({ data }) => {
          worker.terminate();
          if (data.error) reject(new Error(data.error));
          else resolve(data.values);
        };
        worker.onerror = (event) => reject(new Error(event.message || 'the benchmark worker failed to start'));
        worker.postMessage(request);
      }),
    request,
  );
}

/** Why ONNX Runtime Web cannot run beside the forward rows, or null where it can. */
async function onnxRuntimeMissing() {
  return !onnxRuntimeVersion() || !(await served('bench/ort/ort.wasm.min.mjs'))
    ? 'onnxruntime-web is not installed (npm ci)'
    : !(await served('bench/model.onnx'))
      ? 'no ONNX export of the model (cargo xtask bench makes one where PyTorch is installed)'
      : null;
}

const NOT_SERVED = 'the server does not serve /bench/ (run this through cargo xtask bench)';

/**
 * The forward-only rows on the CPU, 2 threads and 1, and ONNX Runtime Web's reference rows where
 * it can run (else a note says why). Returns { rows, notes, reference: [rows] }.
 */
async function forwardRows(browser) {
  if (!(await served('bench/forward-worker.js'))) {
    return { rows: [], reference: [], notes: [`forward passes alone not measured: ${NOT_SERVED}`] };
  }
  const missing = await onnxRuntimeMissing();
  const rows = [];
  const reference = [];
  const notes = missing ? [`ONNX Runtime Web reference not measured: ${missing}`] : [];
  const { page, context } = await openPage(browser, { params: { backend: 'cpu' } });
  try {
    await waitForModel(page); // the page's own worker idle, not loading its model beside ours
    for (const threads of [2, 1]) {
      const id = threads > 1 ? 'cpu-threads' : 'cpu';
      const cpu = `CPU, ${threads} thread${threads > 1 ? 's' : ''}`;
      progress(`timing forward passes alone on the ${cpu}…`);
      const [warmup, runs] = PLAN.forward;
      const ours = await forwardPasses(page, { engine: 'effilens', build: id, backend: 'cpu', threads, warmup, runs });
      const label = `forward pass alone, one ${FORWARD_SIZE}² image already in memory, in a worker, ${cpu}`;
      rows.push(row(`browser/forward/${id}`, label, 'ms', PLAN.forward, ours));
      if (missing) continue;
      try {
        progress(`timing ONNX Runtime Web on ${threads} thread${threads > 1 ? 's' : ''}…`);
        const single = await forwardPasses(page, { engine: 'onnxruntime-web', backend: 'cpu', threads, batch: 1, warmup, runs });
        reference.push(row(`browser/forward/${id}`, label, 'ms', PLAN.forward, single));
        const [batchWarmup, batchRuns] = PLAN.forwardBatch;
        const batched = await forwardPasses(page, { engine: 'onnxruntime-web', backend: 'cpu', threads, batch: REFERENCE_BATCH, warmup: batchWarmup, runs: batchRuns });
        const perSecond = batched.map((ms) => (REFERENCE_BATCH * 1000) / ms);
        reference.push(row(`browser/evaluate-folder/${id}`, `forward passes of ${REFERENCE_BATCH} images, no decoding`, 'img/s', PLAN.forwardBatch, perSecond));
      } catch (error) {
        notes.push(`ONNX Runtime Web on ${threads} thread(s) not measured: ${error?.message || error}`);
      }
    }
  } finally {
    await context.close();
  }
  return { rows, notes, reference };
}

/**
 * One forward pass alone on WebGPU, effilens' webgpu build and ONNX Runtime Web's WebGPU
 * backend, each in a worker of a page of `browser` (launched with WebGPU, offering `adapter`)
 * whose own worker runs on the CPU, so that nothing else holds the adapter. Few runs: a software
 * adapter takes seconds a pass. Returns { rows, notes, reference: [rows] }.
 */
async function webGpuForwardRows(browser, adapter) {
  if (!(await served('bench/forward-worker.js'))) {
    return { rows: [], reference: [], notes: [`forward pass alone on WebGPU not measured: ${NOT_SERVED}`] };
  }
  const label = `forward pass alone, one ${FORWARD_SIZE}² image already in memory, in a worker, WebGPU (${adapter})`;
  const [warmup, runs] = PLAN.latencyWebGpu;
  const rows = [];
  const reference = [];
  const notes = [];
  const { page, context } = await openPage(browser, { params: { backend: 'cpu' } });
  try {
    await waitForModel(page);
    progress('timing a forward pass alone on WebGPU…');
    try {
      const ours = await forwardPasses(page, { engine: 'effilens', build: 'webgpu', backend: 'webgpu', threads: 1, warmup, runs });
      rows.push(row('browser/forward/webgpu', label, 'ms', PLAN.latencyWebGpu, ours));
    } catch (error) {
      notes.push(`forward pass alone on WebGPU not measured: ${error?.message || error}`);
    }
    const missing = await onnxRuntimeMissing();
    if (missing) return { rows, reference, notes };
    progress('timing ONNX Runtime Web on WebGPU…');
    try {
      const theirs = await forwardPasses(page, { engine: 'onnxruntime-web', backend: 'webgpu', threads: 1, batch: 1, warmup, runs });
      reference.push(row('browser/forward/webgpu', label, 'ms', PLAN.latencyWebGpu, theirs));
    } catch (error) {
      notes.push(`ONNX Runtime Web on WebGPU not measured: ${error?.message || error}`);
    }
  } finally {
    await context.close();
  }
  return { rows, reference, notes };
}

/**
 * Teach's rows on the page's build (`id`, `threads`): head only on data/sample/train, and in full
 * runs with threads the whole network for an epoch and the head on 2,000 images.
 */
async function teachRows(page, cpu, id, threads) {
  const rows = [];
  progress(`timing Teach on ${SAMPLE_TRAIN} (${cpu})…`);
  const teach = await timeRuns(PLAN.teach, () => timedTeach(page, SAMPLE_TRAIN));
  const teachLabel = `Teach, head only, default settings: ${path.basename(SAMPLE_TRAIN)} (${teach[0].images} images) picked → bundle ready, ${cpu}`;
  rows.push(row(`browser/teach/${id}`, teachLabel, 's', PLAN.teach, teach.map((run) => run.seconds)));
  rows.push(row(`browser/teach-epochs/${id}`, `of which the head's epochs, after the features, ${cpu}`, 's', PLAN.teach, teach.map((run) => run.epochs)));
  if (!QUICK && threads > 1) {
    progress('timing Teach on 2,000 images…');
    const folder = tenfoldTrainingFolder();
    try {
      const large = await timedTeach(page, folder);
      rows.push(row(`browser/teach-2000/${id}`, `Teach, head only, ${large.images} images (${path.basename(SAMPLE_TRAIN)} ten times) → bundle ready, ${cpu}`, 's', [0, 1], [large.seconds]));
      rows.push({ id: `browser/teach-2000-memory/${id}`, label: `the worker's wasm memory after those ${large.images} images (its limit: 2 GiB)`, unit: 'bytes', value: large.memory });
    } finally {
      fs.rmSync(path.dirname(folder), { recursive: true, force: true });
    }
    // After the memory row: a second network now stays in the worker.
    progress('timing Teach from the ImageNet backbone…');
    const imagenet = "ImageNet EfficientNet-Lite0's backbone";
    await page.selectOption('#teach-start', { label: imagenet });
    const fromImageNet = await timeRuns(PLAN.teach, () => timedTeach(page, SAMPLE_TRAIN));
    await page.selectOption('#teach-start', 'loaded');
    const imagenetLabel = `Teach, head only, from ${imagenet} (224 px): ${path.basename(SAMPLE_TRAIN)} (${fromImageNet[0].images} images) picked → bundle ready, ${cpu}`;
    rows.push(row(`browser/teach-imagenet/${id}`, imagenetLabel, 's', PLAN.teach, fromImageNet.map((run) => run.seconds)));
    // Last: the worker's memory never shrinks, and the whole network's images take the most.
    progress('timing Teach of the whole network, one epoch…');
    const settings = { 'teach-part': 'network', 'teach-epochs': '1', 'teach-batch': '4' };
    const defaults = await page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, document.getElementById(id).value])), Object.keys(settings));
    for (const [id, value] of Object.entries(settings)) await (id === 'teach-part' ? page.selectOption(`#${id}`, value) : page.fill(`#${id}`, value));
    const network = await timedTeach(page, SAMPLE_TRAIN);
    for (const [id, value] of Object.entries(defaults)) await (id === 'teach-part' ? page.selectOption(`#${id}`, value) : page.fill(`#${id}`, value));
    const networkLabel = `Teach, whole network, 1 epoch of ${path.basename(SAMPLE_TRAIN)} (${network.trained} training images), batches of 4, augmented: images/s, ${cpu}`;
    rows.push(row(`browser/teach-network/${id}`, networkLabel, 'img/s', [0, 1], [network.trained / network.epochs]));
    rows.push({ id: `browser/teach-network-memory/${id}`, label: `the worker's wasm memory after that epoch (its limit: 2 GiB)`, unit: 'bytes', value: network.memory });
  }
  return rows;
}

async function main() {
  if (!PAGE_URL) throw new Error('EFFILENS_URL is not set (cargo xtask bench starts the server and sets it)');
  if (TEACH_ONLY) return teachOnly();
  const imagePath = sampleImage();
  const imageName = path.relative(path.dirname(SAMPLE_VAL), imagePath);
  const rows = [];
  const notes = [];

  progress('timing the cold start (CPU)…');
  const cold = await timeRuns(PLAN.coldStart, () => coldStart(imagePath));
  rows.push(row('browser/cold-start/cpu', `cold start, navigation → first prediction shown (${imageName}), CPU`, 'ms', PLAN.coldStart, cold));

  const cpuBrowser = await launchChromium();
  const reference = [];
  const chromiumVersion = cpuBrowser.version();
  try {
    // The page as served (cross-origin isolated: the threaded build), then as a host without
    // COOP/COEP would serve it (the one-thread build).
    for (const prepare of [undefined, withoutIsolation]) {
      const { page, context } = await openPage(cpuBrowser, { params: { backend: 'cpu' }, prepare });
      await waitForModel(page);
      const threads = await threadsOf(page);
      const cpu = `CPU, ${threads} thread${threads > 1 ? 's' : ''}`;
      const id = threads > 1 ? 'cpu-threads' : 'cpu';
      progress(`timing warm latency on the ${cpu}…`);
      const latencies = await warmLatencies(page, PLAN.latencyCpu, await fileInPage(page, imagePath));
      rows.push(row(`browser/latency/${id}`, `warm latency, drop → prediction shown, one image, ${cpu}`, 'ms', PLAN.latencyCpu, latencies));
      progress(`timing warm latency of a 12-megapixel photo on the ${cpu}…`);
      const photo = await photoInPage(page, imagePath);
      const megabytes = (await photo.evaluate((file) => file.size)) / 1e6;
      const photoLatencies = await warmLatencies(page, PLAN.latencyPhoto, photo);
      const photoLabel = `warm latency, drop → prediction shown, a ${PHOTO_SIZE.join(' × ')} JPEG photo (${megabytes.toFixed(1)} MB), ${cpu}`;
      rows.push(row(`browser/latency-photo/${id}`, photoLabel, 'ms', PLAN.latencyPhoto, photoLatencies));

      progress(`timing folder evaluation of ${SAMPLE_VAL} (${cpu})…`);
      let images = 0;
      const perSecond = await timeRuns(PLAN.folder, async () => {
        const run = await timedFolder(page);
        images = run.images;
        return run.images / run.seconds;
      });
      const label = `folder evaluation, ${path.basename(SAMPLE_VAL)} (${images} images) picked → results shown, ${cpu}`;
      rows.push(row(`browser/evaluate-folder/${id}`, label, 'img/s', PLAN.folder, perSecond));

      rows.push(...(await teachRows(page, cpu, id, threads)));
      await context.close();
    }
    const forward = await forwardRows(cpuBrowser);
    rows.push(...forward.rows);
    reference.push(...forward.reference);
    notes.push(...forward.notes);
  } finally {
    await cpuBrowser.close();
  }

  // WebGPU in headless Chromium is experimental (--enable-unsafe-webgpu, a software adapter):
  // where it cannot run, the row is missing and a note says why; the other rows stand.
  const gpuBrowser = await launchChromium({ webgpu: true });
  let adapter = null;
  try {
    progress('timing warm latency on WebGPU…');
    const gpu = await webGpuLatencies(gpuBrowser, PLAN.latencyWebGpu, imagePath);
    adapter = gpu.adapter;
    if (gpu.skipped) {
      notes.push(`browser WebGPU latency not measured: ${gpu.skipped}`);
    } else {
      const label = `warm latency, drop → prediction shown, one image, WebGPU (${adapter})`;
      rows.push(row('browser/latency/webgpu', label, 'ms', PLAN.latencyWebGpu, gpu.values));
      const forward = await webGpuForwardRows(gpuBrowser, adapter);
      rows.push(...forward.rows);
      reference.push(...forward.reference);
      notes.push(...forward.notes);
    }
  } catch (error) {
    notes.push(`browser WebGPU latency not measured: ${error?.message || error}`);
  } finally {
    await gpuBrowser.close();
  }

  const versions = { chromium: chromiumVersion };
  const measured = reference.length > 0;
  if (measured) versions['onnxruntime-web'] = onnxRuntimeVersion();
  const report = {
    source: 'browser', versions, webgpu_adapter: adapter, quick: QUICK, rows, notes,
    reference: measured ? { source: 'onnxruntime-web', rows: reference } : null,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

async function teachOnly() {
  const browser = await launchChromium();
  try {
    const { page, context } = await openPage(browser, { params: { backend: 'cpu' } });
    await waitForModel(page);
    const threads = await threadsOf(page);
    if (threads < 2) throw new Error('the page did not run its threaded build: Teach is measured on it');
    const rows = await teachRows(page, `CPU, ${threads} threads`, 'cpu-threads', threads);
    await context.close();
    const report = { source: 'browser', versions: { chromium: browser.version() }, quick: QUICK, rows, notes: [], reference: null };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(`browser benchmark failed: ${error?.stack || error}\n`);
  process.exitCode = 1;
});
