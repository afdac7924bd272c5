// The inference worker: a dedicated module worker that owns the wasm Classifier and does all the
// work (reading files, decoding, inference), so the page never freezes.
//
// One worker runs one backend for its whole life: it imports only the build it is told to load
// (pkg/cpu/ or pkg/webgpu/), and switching backends means the page starts a fresh worker. That
// also makes a crashed wasm instance (a panic aborts it) recoverable: throw the worker away.
// On the CPU, a cross-origin isolated page (shared memory allowed) gets pkg/cpu-threads/, which
// shares burn's kernels out to a pool of Web Workers; any other page gets the one-thread build.
//
// Protocol (every request carries an `id`; every reply echoes it):
//   page → worker                                   worker → page (ok: true)
//   { id, type: 'probe' }                           { id, ok, webgpu: probeWebGpu() result }
//   { id, type: 'load', backend, bundle }           { id, ok, backend, threads, classes, manifest, loadMs, warmUpMs }
//       bundle: { kind: 'url', url: 'models/logo/' }  (fetched here, relative to this script; a
//               url ending in .json is the manifest itself, its weights beside it)
//             | { kind: 'files', files: File[] }       (model.json + the weights file it names)
//   { id, type: 'classify', file: File }            { id, ok, probabilities: Float32Array, ms, backend }
//   { id, type: 'classifyBatch', files: File[] }    { id, ok, results: (Float32Array | string | { unreadable })[], ms, backend }
//       string: the decoder's reason; { unreadable: message }: the browser could not read the file
//   { id, type: 'locate', file, classIndex }         { id, ok, located: { probabilities, class, map, mapWidth,
//               mapHeight, peakX, peakY, overlay (RGBA), overlayWidth, overlayHeight } }
//   { id, type: 'legend', width }                   { id, ok, pixels: Uint8ClampedArray (RGBA) }
//   Teach (one session at a time, on the loaded build; see teach.js):
//   { id, type: 'teachDefaults', backend }              { id, ok, recipe }  the settings' defaults
//   { id, type: 'teachStart', bundle, classes, recipe }  { id, ok, arch }  bundle: as for 'load', or
//               { kind: 'loaded' }: the loaded model's own bundle; recipe: the settings (JSON text)
//   { id, type: 'teachShare', classes: number[] }       { id, ok, heldOut: Uint8Array }
//   { id, type: 'teachAdd', files, classes, heldOut }   { id, ok, results: (null | string | { unreadable })[], counts }
//   { id, type: 'teachStep' }                           { id, ok, step: { batch: { epoch, batch, batches } }
//                                                        | { epoch: TeachEpoch } | null (all run) }
//   { id, type: 'teachFinish', name }                   { id, ok, probabilities: Float32Array[], manifestText, weights, memoryBytes }
// Unasked, on the WebGPU build: { type: 'webgpuLost', reason } when the browser took the device
// away; nothing that worker runs on WebGPU will answer after it.
// On failure: { id, ok: false, error: { message, kind, fatal } } where kind is
//   'image'   – this image cannot be read or decoded (not the backend's fault),
//   'bundle'  – the model files cannot be fetched/read, or the Rust side rejected them,
//   'backend' – the wasm build could not start or failed while running,
//   'teach'   – Teach refused the data or the settings (one class, a bad name, no images left),
// and fatal means the wasm instance is dead (a trap): the page must start a new worker.
// Requests are handled one at a time, in order: the Classifier is not re-entrant.
import { probeWebGpu } from './backend.js';

/** The imported wasm build (module namespace) and the loaded Classifier, once there are. */
let wasm = null;
let wasmBackend = null;
let classifier = null;
/** The loaded classifier's bundle as read ({ manifestText, weights }), for Teach to start from. */
let loadedBundle = null;
/** The Teach session under way, or null. */
let teacher = null;
/** How many threads the wasm computes on (1 unless the threaded CPU build runs). */
let wasmThreads = 1;

class WorkerError extends Error {
  constructor(message, kind, fatal = false) {
    super(message);
    this.kind = kind;
    this.fatal = fatal;
  }
}

function messageOf(error) {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/** A wasm trap (e.g. a Rust panic with panic=abort): the instance cannot be used any more. */
function isTrap(error) {
  return error instanceof WebAssembly.RuntimeError;
}

/** A WorkerError for an error thrown by the wasm; a trap is always a fatal backend error. */
function fromWasm(error, kind) {
  return isTrap(error)
    ? new WorkerError(`the classifier crashed: ${messageOf(error)}`, 'backend', true)
    : new WorkerError(messageOf(error), kind);
}

/** A copy detached from wasm memory (the wasm may hand out views of its own memory). */
function ownedCopy(probabilities) {
  return Float32Array.from(probabilities);
}

/** Threads the CPU build can use here: shared wasm memory needs a cross-origin isolated page. */
function cpuThreads() {
  return self.crossOriginIsolated ? Math.min(self.navigator.hardwareConcurrency || 1, 8) : 1;
}

/** Imports and instantiates pkg/<build>/. */
async function importBuild(build) {
  const url = new URL(`./pkg/${build}/effilens.js`, import.meta.url);
  try {
    const module = await import(url.href);
    // wasm-bindgen --target web: the default export fetches and instantiates effilens_bg.wasm
    // next to effilens.js.
    await module.default();
    return module;
  } catch (error) {
    throw new WorkerError(`cannot start the ${build} build (${url.pathname}): ${messageOf(error)}`, 'backend');
  }
}

/** Imports and initialises the build for `backend`, once per worker. */
async function ensureWasm(backend) {
  if (wasm) {
    if (wasmBackend !== backend) throw new WorkerError(`this worker runs ${wasmBackend}; start a new one for ${backend}`, 'backend');
    return;
  }
  const threads = backend === 'cpu' ? cpuThreads() : 1;
  if (threads > 1) {
    try {
      const module = await importBuild('cpu-threads');
      await module.initThreadPool(threads);
      [wasm, wasmBackend, wasmThreads] = [module, backend, threads];
      return;
    } catch (error) {
      // The one-thread build computes the same, only slower.
      console.warn(`effilens: the threaded CPU build did not start (${messageOf(error)}); using one thread`);
    }
  }
  [wasm, wasmBackend, wasmThreads] = [await importBuild(backend), backend, 1];
  // The browser may take the GPU away at any time: tell the page, unasked (no id).
  wasm.onWebGpuLost?.((reason) => self.postMessage({ type: 'webgpuLost', reason }));
}

async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new WorkerError(`cannot fetch ${url.pathname}: ${messageOf(error)}`, 'bundle');
  }
  if (!response.ok) throw new WorkerError(`cannot fetch ${url.pathname}: HTTP ${response.status}`, 'bundle');
  return new Uint8Array(await response.arrayBuffer());
}

/** The weights file name a manifest names, or null when the manifest cannot be parsed. */
function weightsFileName(manifestText) {
  try {
    const name = JSON.parse(manifestText)?.weights?.file;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}

/** { manifestText, weights } of a bundle, fetched or read from the user's files. */
async function readBundle(bundle) {
  if (bundle.kind === 'url') {
    // A folder ("models/logo/") holds model.json; a link may also name the manifest itself.
    const given = new URL(bundle.url, self.location.href);
    const manifestUrl = given.pathname.endsWith('.json') ? given : new URL('model.json', given);
    const base = new URL('.', manifestUrl);
    const manifestText = new TextDecoder().decode(await fetchBytes(manifestUrl));
    const name = weightsFileName(manifestText);
    if (!name) throw new WorkerError(`${manifestUrl.pathname} names no weights file`, 'bundle');
    return { manifestText, weights: await fetchBytes(new URL(name, base)) };
  }

  // The user's own files: the manifest is the .json one; the weights file is the one it names,
  // or else the only other file (the Rust side checks size and checksum either way).
  const files = bundle.files;
  const manifests = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (manifests.length !== 1) {
    throw new WorkerError(`a model bundle is one model.json plus its weights file; got ${files.length} file(s) with ${manifests.length} .json`, 'bundle');
  }
  const manifestText = await manifests[0].text();
  const others = files.filter((f) => f !== manifests[0]);
  const name = weightsFileName(manifestText);
  const weightsFile = others.find((f) => f.name === name) || (others.length === 1 ? others[0] : null);
  if (!weightsFile) {
    throw new WorkerError(name ? `the bundle has no weights file named "${name}"` : 'the bundle has no weights file', 'bundle');
  }
  return { manifestText, weights: new Uint8Array(await weightsFile.arrayBuffer()) };
}

async function load({ backend, bundle }) {
  const started = performance.now();
  await ensureWasm(backend);
  const { manifestText, weights } = await readBundle(bundle);
  let loaded;
  try {
    loaded = await wasm.Classifier.load(manifestText, weights, backend);
  } catch (error) {
    // The Rust side explains what is wrong with the bundle (checksum, arch, format) — or, on a
    // fresh WebGPU worker, that WebGPU failed; the page tells the two apart by retrying on CPU.
    throw fromWasm(error, 'bundle');
  }
  const loadMs = performance.now() - started;
  const warmStarted = performance.now();
  try {
    await loaded.warmUp();
  } catch (error) {
    if (!isTrap(error)) loaded.free();
    const failure = fromWasm(error, 'backend');
    failure.message = `warm-up failed on ${backend}: ${failure.message}`;
    throw failure;
  }
  const warmUpMs = performance.now() - warmStarted;
  // Only now replace the previous model: a bundle that fails to load leaves the old one working.
  classifier?.free();
  classifier = loaded;
  loadedBundle = { manifestText, weights };
  return {
    backend: classifier.backend(),
    threads: wasmThreads,
    classes: Array.from(classifier.classes()),
    manifest: JSON.parse(classifier.manifestJson()),
    loadMs,
    warmUpMs,
  };
}

function requireClassifier() {
  if (!classifier) throw new WorkerError('no model is loaded', 'backend');
  return classifier;
}

/**
 * A file's bytes, or why not: `{ problem }` is the decoder's own refusal (too large, checked from
 * `File.size` before reading anything), `{ unreadable }` the browser's message. An empty file
 * goes to the decoder, which says so.
 */
async function readImage(file) {
  const problem = wasm.fileSizeProblem(file.size);
  if (problem) return { problem };
  try {
    return { bytes: new Uint8Array(await file.arrayBuffer()) };
  } catch (error) {
    return { unreadable: messageOf(error) };
  }
}

async function classify({ file }) {
  const model = requireClassifier();
  const started = performance.now();
  const read = await readImage(file);
  if (!read.bytes) throw new WorkerError(read.problem ?? `cannot read ${file.name}: ${read.unreadable}`, 'image');
  const bytes = read.bytes;
  // The batch API tells an unreadable image (a string) from a failing backend (a rejection)
  // without guessing from error messages.
  let result;
  try {
    [result] = await model.classifyBatch([bytes]);
  } catch (error) {
    throw fromWasm(error, 'backend');
  }
  if (typeof result === 'string') throw new WorkerError(result, 'image');
  return { probabilities: ownedCopy(result), ms: performance.now() - started, backend: model.backend() };
}

/** Where the model saw `classIndex` (the most probable class when undefined) in one image. */
async function locate({ file, classIndex }) {
  const model = requireClassifier();
  const read = await readImage(file);
  if (!read.bytes) throw new WorkerError(read.problem ?? `cannot read ${file.name}: ${read.unreadable}`, 'image');
  try {
    return { located: await model.locate(read.bytes, classIndex ?? undefined) };
  } catch (error) {
    throw fromWasm(error, 'image');
  }
}

/** Files' bytes for one batch: `readable` to send, `results` holding the reasons of the rest. */
async function readBatch(files) {
  const results = new Array(files.length).fill(null);
  const readable = [];
  for (let i = 0; i < files.length; i++) {
    const read = await readImage(files[i]);
    if (read.bytes) readable.push({ index: i, bytes: read.bytes });
    else results[i] = read.problem ?? { unreadable: read.unreadable };
  }
  return { results, readable };
}

async function classifyBatch({ files }) {
  const model = requireClassifier();
  const started = performance.now();
  // Files that cannot be read get their reason; the rest go to the model in one call.
  const { results, readable } = await readBatch(files);
  if (readable.length > 0) {
    let outputs;
    try {
      outputs = await model.classifyBatch(readable.map((r) => r.bytes));
    } catch (error) {
      throw fromWasm(error, 'backend');
    }
    readable.forEach((r, k) => {
      const output = outputs[k];
      results[r.index] = typeof output === 'string' ? output : ownedCopy(output);
    });
  }
  return { results, ms: performance.now() - started, backend: model.backend() };
}

// ---------------------------------------------------------------- Teach

async function teachStart({ bundle, classes, recipe }) {
  const model = requireClassifier();
  const base = bundle.kind === 'loaded' ? loadedBundle : await readBundle(bundle);
  teacher?.free();
  teacher = null;
  try {
    teacher = await wasm.Teacher.start(base.manifestText, base.weights, model.backend(), classes, recipe);
  } catch (error) {
    throw fromWasm(error, 'teach');
  }
  // Checked by the Rust side above: the architecture the bundle will have.
  return { arch: JSON.parse(base.manifestText).arch };
}

function requireTeacher() {
  if (!teacher) throw new WorkerError('no Teach session has started', 'teach');
  return teacher;
}

async function teachAdd({ files, classes, heldOut }) {
  const session = requireTeacher();
  const { results, readable } = await readBatch(files);
  if (readable.length > 0) {
    let reasons;
    try {
      reasons = await session.addImages(
        readable.map((r) => r.bytes),
        Uint32Array.from(readable, (r) => classes[r.index]),
        Uint8Array.from(readable, (r) => heldOut[r.index]),
      );
    } catch (error) {
      throw fromWasm(error, 'backend');
    }
    readable.forEach((r, k) => (results[r.index] = reasons[k]));
  }
  return { results, counts: Array.from(session.counts()) };
}

function call(method, kind = 'teach') {
  try {
    return method();
  } catch (error) {
    throw fromWasm(error, kind);
  }
}

const handlers = {
  probe: async () => ({ webgpu: await probeWebGpu(self.navigator) }),
  load,
  classify,
  classifyBatch,
  locate,
  legend: async ({ width }) => ({ pixels: wasm.Classifier.legend(width) }),
  teachDefaults: async ({ backend }) => {
    await ensureWasm(backend);
    return { recipe: JSON.parse(wasm.Teacher.defaults()) };
  },
  teachStart,
  teachShare: async ({ classes }) => ({ heldOut: call(() => requireTeacher().validationShare(Uint32Array.from(classes))) }),
  teachAdd,
  teachStep: async () => {
    const stepped = call(() => requireTeacher().nextStep());
    return { step: stepped === undefined ? null : JSON.parse(stepped) };
  },
  teachFinish: async ({ name }) => {
    const session = requireTeacher();
    session.stop();
    const [manifestText, weights] = call(() => session.bundle(name));
    const probabilities = Array.from(session.validationProbabilities(), ownedCopy);
    return { probabilities, manifestText, weights, memoryBytes: wasm.Teacher.memoryBytes() };
  },
};

let queue = Promise.resolve();

self.onmessage = (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    const handler = handlers[request.type];
    try {
      if (!handler) throw new WorkerError(`unknown request "${request.type}"`, 'backend');
      self.postMessage({ id: request.id, ok: true, ...(await handler(request)) });
    } catch (error) {
      const failure = error instanceof WorkerError ? error : fromWasm(error, 'backend');
      self.postMessage({
        id: request.id,
        ok: false,
        error: { message: failure.message, kind: failure.kind, fatal: failure.fatal },
      });
    }
  });
};
