// The page: wires the controls, drag-and-drop and paste to the classifier (which runs in a
// worker, see classifier-client.js) and to the views. Runs on the main thread and does no
// inference itself, so the page stays responsive.
import { byId, formatPercent, h } from './dom.js';
import { ClassifierClient } from './classifier-client.js';
import { BACKEND_LABELS, chooseBackend, requestedBackend } from './backend.js';
import { entriesFromDirectoryEntry, entriesFromFileList, fileOfEntry, planEvaluation } from './folder.js';
import { runEvaluation } from './evaluate.js';
import { evaluationCore } from './evaluation-core.js';
import { describeSource, linkedModel } from './model-link.js';
import { ClassifyView } from './classify-view.js';
import { ProgressView } from './progress-view.js';
import { EvaluationView } from './evaluation-view.js';
import { TeachPanel } from './teach-panel.js';
import { TeachBuilder } from './teach-builder.js';
import { ClassMapView } from './class-map-view.js';

const ui = {
  modelSelect: byId('model-select'),
  bundleInput: byId('bundle-input'),
  backendSelect: byId('backend-select'),
  modelStatus: byId('model-status'),
  backendStatus: byId('backend-status'),
  notice: byId('notice'),
  modelDetails: byId('model-details'),
  modelFacts: byId('model-facts'),
  imageInput: byId('image-input'),
  cameraInput: byId('camera-input'),
  folderInput: byId('folder-input'),
  reportInput: byId('report-input'),
  teachInput: byId('teach-input'),
  dropOverlay: byId('drop-overlay'),
};

const client = new ClassifierClient();
const classifyView = new ClassifyView();
const progressView = new ProgressView();
const evaluationView = new EvaluationView(byId('evaluation-results'));
/** The image the classify panel shows, for its class map. */
let shownFile = null;
const classMapView = new ClassMapView({
  locate: (classIndex) => client.locate(shownFile, classIndex),
  legend: (width) => client.legend(width),
});
const teachPanel = new TeachPanel({ client, useModel: (files) => loadOwnBundle(files), setBusy: (busy) => setBusy(busy) });
new TeachBuilder({ teach: (entries, classes) => teachPanel.teach(entries, [], classes) });

/** Bundled models from models/index.json: [{ id, name, path }]. */
let bundledModels = [];
/** Display name of the loaded model. */
let modelName = '';
/** The user's own bundle, once loaded: { bundle, name }, so the model select can return to it. */
let ownModel = null;
/** The bundle a `?model=` link named, once loaded, so the model select can return to it. */
let linkedBundle = null;
/** AbortController of the running folder evaluation, or null. */
let evaluation = null;
/** Counts single-image requests, so a slow answer for an older image is ignored. */
let classifyToken = 0;

// ---------------------------------------------------------------- status and notices

function setModelStatus(state, text) {
  ui.modelStatus.dataset.state = state; // loading | ready | error (tests wait on it)
  ui.modelStatus.textContent = text;
}

function notify(message) {
  ui.notice.textContent = message;
  ui.notice.hidden = !message;
}

function showBackend({ backend, threads }, reason) {
  ui.backendSelect.value = backend;
  ui.backendStatus.dataset.backend = backend;
  ui.backendStatus.dataset.threads = String(threads);
  const label = threads > 1 ? `${BACKEND_LABELS[backend]}, ${threads} threads` : BACKEND_LABELS[backend];
  ui.backendStatus.replaceChildren('Running on ', h('strong', {}, label), ` (${reason}).`);
}

async function showModel(loaded) {
  const m = loaded.manifest;
  classMapView.setClasses(loaded.classes);
  const named = await evaluationCore().then(
    (core) => `, ${core.classList(loaded.classes)}`,
    () => '',
  );
  setModelStatus(
    'ready',
    `${modelName} is ready: ${loaded.classes.length} classes${named}. Loaded in ${Math.round(loaded.loadMs)} ms, warm-up ${Math.round(loaded.warmUpMs)} ms.`,
  );
  const facts = [
    ['Name', m.name],
    ['Architecture', m.arch],
    ['Classes', loaded.classes.join(', ')],
    ['Input size', m.image_size ? `${m.image_size} × ${m.image_size} px` : null],
    ['Normalization', m.normalization],
    ['Weights', m.weights ? `${m.weights.file} (${m.weights.dtype}, ${(m.weights.bytes / 1e6).toFixed(1)} MB)` : null],
    ['Pretrained from', m.source_weights],
    ['Loaded from', describeSource(loaded.bundle, location.href)],
    ['Accuracy when exported', percentOrNull(m.metrics?.accuracy)],
    ['Macro F1 when exported', percentOrNull(m.metrics?.macro_f1)],
    ['Per class when exported', perClassFacts(m.metrics?.per_class)],
    ...recordedFacts(m.evaluations),
  ].filter(([, value]) => value !== null && value !== undefined && value !== '');
  ui.modelFacts.replaceChildren(...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, String(value))]));
  ui.modelDetails.hidden = false;
}

function percentOrNull(value) {
  return typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : null;
}

/** "logo P 100.0% R 96.7%; others …" from a manifest's per-class metrics. */
function perClassFacts(perClass) {
  if (!perClass || typeof perClass !== 'object') return null;
  const entries = Object.entries(perClass).filter(([, figures]) => figures && typeof figures === 'object');
  if (entries.length === 0) return null;
  return entries.map(([name, f]) => `${name} P ${formatPercent(f.precision)} R ${formatPercent(f.recall)}`).join('; ');
}

/** One line per evaluation `trainer eval --record` wrote into the manifest: "accuracy 95.0%; logo P … R …; pointing game 90.0%". */
function recordedFacts(evaluations) {
  if (!evaluations || typeof evaluations !== 'object') return [];
  return Object.entries(evaluations).map(([name, e]) => {
    const rows = Array.isArray(e?.figures?.per_class) ? e.figures.per_class : [];
    const parts = [`accuracy ${formatPercent(e?.figures?.accuracy)} (${e?.images} images)`];
    parts.push(...rows.map((row) => `${row.class} P ${formatPercent(row.precision)} R ${formatPercent(row.recall)}`));
    if (typeof e?.pointing_game?.score === 'number') parts.push(`pointing game ${formatPercent(e.pointing_game.score)}`);
    return [`Recorded on "${name}"`, parts.join('; ')];
  });
}

/** Disables what must not change while a model loads or a folder is evaluated. */
function setBusy(busy) {
  for (const control of [ui.modelSelect, ui.bundleInput, ui.backendSelect, ui.folderInput, ui.reportInput, ui.teachInput]) control.disabled = busy;
  for (const label of document.querySelectorAll('label.button')) {
    const input = document.getElementById(label.htmlFor);
    label.classList.toggle('disabled', Boolean(input?.disabled));
  }
}

// ---------------------------------------------------------------- models and backends

async function loadModelIndex() {
  const response = await fetch('models/index.json');
  if (!response.ok) throw new Error(`models/index.json: HTTP ${response.status}`);
  const models = await response.json();
  if (!Array.isArray(models) || models.some((m) => typeof m?.path !== 'string')) {
    throw new Error('models/index.json is not a list of { id, name, path }');
  }
  return models;
}

function modelOptionValue(model) {
  return `bundled:${model.id}`;
}

/** Starts `backend` in a new worker with `bundle`; falls back to CPU when WebGPU fails. */
async function startBackend(backend, bundle, reason) {
  setBusy(true);
  setModelStatus('loading', `Loading ${modelName} on ${BACKEND_LABELS[backend]}…`);
  try {
    const loaded = await client.start(backend, bundle);
    if (loaded.fellBackFrom) {
      notify(`WebGPU could not run this model (${loaded.fellBackFrom.message}). Using the CPU instead.`);
      showBackend(loaded, 'WebGPU failed, fell back to CPU');
    } else {
      showBackend(loaded, reason);
    }
    await showModel(loaded);
    teachPanel.fillDefaults().catch((error) => console.warn(`effilens: Teach's defaults: ${error.message}`));
  } catch (error) {
    setModelStatus('error', `Could not load ${modelName}: ${error.message}`);
  } finally {
    setBusy(false);
  }
}

/** Loads another model on the running backend; on failure the previous one stays. */
async function switchModel(bundle, name) {
  if (evaluation || teachPanel.running) {
    notify(`${evaluation ? 'A folder is being evaluated' : 'Teach is running'}: cancel it before loading another model.`);
    return;
  }
  const previousName = modelName;
  setBusy(true);
  setModelStatus('loading', `Loading ${name ?? 'your model'}…`);
  try {
    const backendBefore = client.backend;
    const loaded = await client.loadBundle(bundle, ui.backendSelect.value);
    modelName = name === null ? `${loaded.manifest.name || 'Your model'} (your files)` : name;
    if (bundle.kind === 'files') {
      ownModel = { bundle, name: modelName };
      const own = ui.modelSelect.querySelector('option[value="own"]') ?? h('option', { value: 'own' });
      own.textContent = modelName;
      ui.modelSelect.append(own);
      ui.modelSelect.value = 'own';
    }
    // Results of the previous model no longer apply (its classes may differ).
    classifyToken += 1;
    classifyView.clear();
    evaluationView.clear();
    if (loaded.backend !== backendBefore) showBackend(loaded, `${BACKEND_LABELS[loaded.backend]} chosen`);
    await showModel(loaded);
  } catch (error) {
    modelName = previousName;
    notify(`Could not load that model: ${error.message}`);
    if (client.loaded) await showModel(client.loaded);
    else setModelStatus('error', `No model is loaded: ${error.message}`);
    // Point the model select back at what is really loaded.
    const loadedUrl = client.loaded?.bundle?.kind === 'url' ? client.loaded.bundle.url : null;
    const current = bundledModels.find((m) => m.path === loadedUrl);
    ui.modelSelect.value = current ? modelOptionValue(current) : client.loaded ? 'own' : ui.modelSelect.value;
  } finally {
    setBusy(false);
  }
}

function loadOwnBundle(files) {
  notify('');
  return switchModel({ kind: 'files', files }, null);
}

ui.modelSelect.addEventListener('change', () => {
  if (ui.modelSelect.value === 'linked' && linkedBundle) {
    switchModel(linkedBundle, ui.modelSelect.selectedOptions[0].textContent);
    return;
  }
  if (ui.modelSelect.value === 'own' && ownModel) {
    switchModel(ownModel.bundle, ownModel.name);
    return;
  }
  const model = bundledModels.find((m) => modelOptionValue(m) === ui.modelSelect.value);
  if (model) switchModel({ kind: 'url', url: model.path }, model.name);
});

ui.bundleInput.addEventListener('change', () => {
  const files = Array.from(ui.bundleInput.files);
  ui.bundleInput.value = '';
  if (files.length > 0) loadOwnBundle(files);
});

ui.backendSelect.addEventListener('change', () => {
  const bundle = client.loaded?.bundle ?? (bundledModels[0] && { kind: 'url', url: bundledModels[0].path });
  if (!bundle) return;
  notify('');
  startBackend(ui.backendSelect.value, bundle, `${BACKEND_LABELS[ui.backendSelect.value]} chosen`);
});

client.addEventListener('backendchange', (event) => {
  notify(event.detail.reason.charAt(0).toUpperCase() + event.detail.reason.slice(1) + '.');
  showBackend(event.detail.loaded, 'after a failure');
});

// ---------------------------------------------------------------- one image

async function classifyFile(file) {
  const token = ++classifyToken;
  classifyView.showPending(file);
  shownFile = null;
  classMapView.imageChanged(false);
  try {
    const result = await client.classify(file);
    const core = await evaluationCore();
    const best = core.argmax(result.probabilities);
    // A bar per class of a model of a few; else (ImageNet's 1000) the five most probable.
    const shown = core.fewClasses(result.probabilities.length) ? null : Array.from(core.ranked(result.probabilities, 5));
    if (token !== classifyToken) return;
    classifyView.showResult({ classes: client.loaded.classes, best, shown, ...result });
    shownFile = file;
    classMapView.imageChanged(true);
  } catch (error) {
    if (token !== classifyToken) return;
    classifyView.showError(`Could not classify ${file.name}: ${error.message}`);
  }
}

/** A table row's "Where?": the image in the classify panel, with the map of `classIndex` over it. */
async function showWhere(entry, classIndex) {
  try {
    const file = await fileOfEntry(entry);
    classMapView.showFor(classIndex);
    byId('classify-section').scrollIntoView({ behavior: 'smooth', block: 'start' });
    await classifyFile(file);
  } catch (error) {
    notify(`Could not open that image: ${error.message}`);
  }
}

for (const input of [ui.imageInput, ui.cameraInput]) {
  input.addEventListener('change', () => {
    const file = input.files[0];
    input.value = '';
    if (file) classifyFile(file);
  });
}

document.addEventListener('paste', (event) => {
  const file = Array.from(event.clipboardData?.files ?? []).find((f) => f.type.startsWith('image/'));
  if (!file) return;
  event.preventDefault();
  classifyFile(file);
});

// ---------------------------------------------------------------- a folder

/**
 * Evaluates folder entries ([{ path, file | getFile }], paths starting with the folder's name).
 * `unlisted`: [{ path, message }] for parts of the folder that could not even be listed.
 */
async function evaluateFolder(entries, unlisted = []) {
  if (evaluation || teachPanel.running) {
    notify(`${evaluation ? 'An evaluation' : 'Teach'} is already running; cancel it first.`);
    return;
  }
  if (!client.loaded) {
    notify('No model is loaded yet.');
    return;
  }
  let core;
  try {
    core = await evaluationCore();
  } catch (error) {
    notify(`The evaluation module could not start: ${error.message}`);
    return;
  }
  const { classes, manifest } = client.loaded;
  const { plan, images } = planEvaluation(core, entries, classes);
  const results = new core.Evaluation(manifest.name ?? '', manifest.arch ?? '', classes, plan.root());
  results.addPlanSkipped(plan);
  plan.free();
  for (const { path, message } of unlisted) results.skipUnlisted(path, message);
  const controller = (evaluation = new AbortController());
  setBusy(true);
  evaluationView.clear();
  progressView.start(images.length, () => controller.abort());
  const started = performance.now();
  try {
    const outcome = await runEvaluation({
      images,
      classifyBatch: async (files, signal) => (await client.classifyBatch(files, signal)).results,
      sink: results,
      signal: controller.signal,
      onProgress: (progress) => progressView.update(progress),
    });
    results.finish(!outcome.cancelled && !outcome.error);
    progressView.finish(
      `${outcome.cancelled ? 'Evaluation cancelled' : 'Evaluation finished'}: ${results.predictionCount()} images classified, ${JSON.parse(results.skippedJson()).length} skipped.`,
    );
    evaluationView.show({
      evaluation: results,
      entries: new Map(images.map((image) => [image.path, image.entry])),
      onWhere: showWhere,
      backend: client.backend,
      cancelled: outcome.cancelled,
      error: outcome.error,
      elapsedMs: performance.now() - started,
      total: images.length,
    });
  } finally {
    evaluation = null;
    setBusy(false);
  }
}

/** Opens a predictions.json (from this page or `trainer eval`) with the same dashboards. */
async function openReport(file) {
  if (evaluation) {
    notify('An evaluation is running; cancel it first.');
    return;
  }
  try {
    const core = await evaluationCore();
    const results = core.Evaluation.fromReport(await file.text());
    notify('');
    evaluationView.show({ evaluation: results, entries: new Map(), source: file.name });
  } catch (error) {
    notify(`Could not open ${file.name} as a report: ${error.message}`);
  }
}

ui.reportInput.addEventListener('change', () => {
  const file = ui.reportInput.files[0];
  ui.reportInput.value = '';
  if (file) openReport(file);
});

ui.teachInput.addEventListener('change', () => {
  const entries = entriesFromFileList(ui.teachInput.files);
  ui.teachInput.value = '';
  if (entries.length === 0) notify('That folder is empty.');
  else teachPanel.teach(entries);
});

ui.folderInput.addEventListener('change', () => {
  // webkitRelativePath of each file starts with the picked folder's own name.
  const entries = entriesFromFileList(ui.folderInput.files);
  ui.folderInput.value = '';
  if (entries.length === 0) notify('That folder is empty.');
  else evaluateFolder(entries);
});

// ---------------------------------------------------------------- drag and drop

/**
 * A dropped directory: a model bundle if it holds model.json at its top, else a data set to
 * evaluate, or to teach from when dropped on the Teach section.
 */
async function handleDroppedDirectory(directoryEntry, teach) {
  const { entries, unreadable } = await entriesFromDirectoryEntry(directoryEntry);
  const root = directoryEntry.name;
  const topLevel = entries.filter((e) => e.path.split('/').length === 2);
  if (topLevel.some((e) => e.path === `${root}/model.json`)) {
    const files = await Promise.all(topLevel.map((e) => e.getFile()));
    return loadOwnBundle(files);
  }
  if (entries.length === 0 && unreadable.length === 0) {
    notify(`The folder “${root}” is empty.`);
    return;
  }
  return teach ? teachPanel.teach(entries, unreadable) : evaluateFolder(entries, unreadable);
}

function handleDrop(dataTransfer, teach) {
  // Items and files must be taken synchronously: the DataTransfer is emptied after the event.
  const entries = Array.from(dataTransfer.items ?? [])
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.())
    .filter(Boolean);
  const files = Array.from(dataTransfer.files ?? []);
  const directories = entries.filter((e) => e.isDirectory);

  if (directories.length > 0) {
    if (entries.length > 1) {
      notify('Drop one folder at a time (the folder that holds one sub-folder per class).');
      return;
    }
    handleDroppedDirectory(directories[0], teach).catch((error) => notify(`Could not read that folder: ${error.message}`));
    return;
  }
  if (files.some((f) => f.name.toLowerCase().endsWith('.json'))) {
    dropJson(files);
    return;
  }
  if (files.length > 0) {
    if (files.length > 1) notify(`Classified the first of ${files.length} files; to evaluate many images, drop a folder.`);
    classifyFile(files[0]);
  }
}

/** Dropped .json files: an evaluation report (it has predictions), else a model bundle. */
async function dropJson(files) {
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  if (files.length === 1 && json.name !== 'model.json' && (await json.text()).includes('"effilens-evaluation"')) {
    openReport(json);
  } else {
    loadOwnBundle(files);
  }
}

let dragDepth = 0;

function isFileDrag(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

document.addEventListener('dragenter', (event) => {
  if (!isFileDrag(event)) return;
  event.preventDefault();
  dragDepth += 1;
  ui.dropOverlay.hidden = false;
});

document.addEventListener('dragover', (event) => {
  if (!isFileDrag(event)) return;
  event.preventDefault(); // allows the drop
  event.dataTransfer.dropEffect = 'copy';
});

document.addEventListener('dragleave', (event) => {
  if (!isFileDrag(event)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) ui.dropOverlay.hidden = true;
});

document.addEventListener('drop', (event) => {
  event.preventDefault(); // never let the browser navigate to the dropped file
  dragDepth = 0;
  ui.dropOverlay.hidden = true;
  // The overlay covers the page while dragging: look beneath it for the section dropped on.
  const onTeach = document.elementsFromPoint(event.clientX, event.clientY).some((element) => element.id === 'teach-section');
  if (event.dataTransfer) handleDrop(event.dataTransfer, onTeach);
});

// ---------------------------------------------------------------- start

function fillBackendSelect(probe) {
  const webgpu = ui.backendSelect.querySelector('option[value="webgpu"]');
  if (!probe.available) {
    webgpu.disabled = true;
    webgpu.textContent = 'WebGPU (not available)';
  } else if (probe.fallback) {
    webgpu.textContent = 'WebGPU (software adapter, slow)';
  }
}

async function main() {
  let probe;
  try {
    [bundledModels, probe] = await Promise.all([loadModelIndex(), client.probe()]);
  } catch (error) {
    setModelStatus('error', `The page could not start: ${error.message}`);
    return;
  }
  // Loaded now, so that evaluating works offline later; a failure shows when it is needed.
  evaluationCore().catch(() => {});
  fillBackendSelect(probe);
  teachPanel.setStartingPoints(bundledModels);
  ui.modelSelect.replaceChildren(...bundledModels.map((m) => h('option', { value: modelOptionValue(m) }, m.name ?? m.id)));
  if (bundledModels.length === 0) {
    setModelStatus('error', 'No bundled model: load your own.');
    ui.backendSelect.value = chooseBackend({ requested: requestedBackend(location.search), probe }).backend;
    setBusy(false);
    return;
  }
  const first = bundledModels[0];
  const choice = chooseBackend({ requested: requestedBackend(location.search), probe });
  const link = linkedModel(location.search, location.href);
  if (link?.url) {
    modelName = 'the linked model';
    await startBackend(choice.backend, { kind: 'url', url: link.url }, choice.reason);
    if (client.loaded) {
      modelName = `${client.loaded.manifest.name || 'Linked model'} (linked)`;
      ui.modelSelect.prepend(h('option', { value: 'linked' }, modelName));
      ui.modelSelect.value = 'linked';
      linkedBundle = { kind: 'url', url: link.url };
      await showModel(client.loaded);
      return;
    }
    notify(`The model in the link could not be loaded (${ui.modelStatus.textContent}). The bundled model is loaded instead.`);
  } else if (link?.error) {
    notify(`${link.error} The bundled model is loaded instead.`);
  }
  modelName = first.name ?? first.id;
  await startBackend(choice.backend, { kind: 'url', url: first.path }, choice.reason);
}

main();
