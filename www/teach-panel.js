// The Teach section: a labeled folder in, a trained bundle out, all in this page. Labeling is
// the evaluation core's (Rust), training the worker's Teach session (Rust); this file runs the
// form, the progress, the live curves, the validation dashboards and the downloads.
import { byId, downloadBlob, formatMs, formatPercent, h } from './dom.js';
import { evaluationCore } from './evaluation-core.js';
import { planEvaluation, planTeaching } from './folder.js';
import { runTeaching } from './teach.js';
import { trainingCurves } from './training-curve.js';
import { EvaluationView } from './evaluation-view.js';

/** The form's fields: input id → the session's setting, and how to read it. */
const FIELDS = [
  ['teach-part', 'part', String],
  ['teach-epochs', 'epochs', Number],
  ['teach-batch', 'batch_size', Number],
  ['teach-lr', 'lr', Number],
  ['teach-seed', 'seed', Number],
  ['teach-val', 'val_fraction', Number],
];

export class TeachPanel {
  #client;
  #useModel;
  #setBusy;
  #ui = {
    input: byId('teach-input'),
    start: byId('teach-start'),
    name: byId('teach-name'),
    status: byId('teach-status'),
    progress: byId('teach-progress'),
    bar: byId('teach-bar'),
    text: byId('teach-text'),
    cancel: byId('teach-cancel'),
    curves: byId('teach-curves'),
    outcome: byId('teach-outcome'),
  };
  #results = new EvaluationView(byId('teach-results'), { idPrefix: 'teach-' });
  #controller = null;
  #defaultsFilled = false;

  /**
   * @param client    the ClassifierClient (Teach runs in its worker, on the loaded build)
   * @param useModel  (files: File[]) => loads a bundle as "your own model"
   * @param setBusy   (busy) => disables what must not change meanwhile
   */
  constructor({ client, useModel, setBusy }) {
    this.#client = client;
    this.#useModel = useModel;
    this.#setBusy = setBusy;
    this.#ui.cancel.addEventListener('click', () => {
      this.#ui.cancel.disabled = true;
      this.#ui.cancel.textContent = 'Cancelling…';
      this.#controller?.abort();
    });
  }

  /**
   * Offers the site's bundles (models/index.json: [{ id, name, path }]) as starting points beside
   * the loaded model: an ImageNet backbone published with the site, say. Fetched only when Teach
   * starts from one.
   */
  setStartingPoints(models) {
    this.#ui.start.replaceChildren(
      h('option', { value: 'loaded' }, "the loaded model's backbone"),
      ...models.map((model) => h('option', { value: model.path }, `${model.name ?? model.id}'s backbone`)),
    );
  }

  get running() {
    return this.#controller !== null;
  }

  /** Fills the form with the session's defaults (the trainer's), once a build is running. */
  async fillDefaults() {
    if (this.#defaultsFilled || !this.#client.loaded) return;
    const { recipe } = await this.#client.teach('teachDefaults', { backend: this.#client.backend });
    for (const [id, key] of FIELDS) byId(id).value = String(recipe[key]);
    this.#defaultsFilled = true;
  }

  #recipe() {
    const recipe = {};
    for (const [id, key, read] of FIELDS) {
      const text = byId(id).value.trim();
      if (text !== '') recipe[key] = read(text);
    }
    return recipe;
  }

  #say(state, message) {
    this.#ui.status.dataset.state = state; // running | done | cancelled | error (tests wait on it)
    this.#ui.status.textContent = message;
  }

  /**
   * Teaches from folder entries ([{ path, file | getFile }]); `unlisted`: folders not listed;
   * `classes`: the classes, where they are known beforehand (built here, an empty one included),
   * else the folder's first-level folders.
   */
  async teach(entries, unlisted = [], classes = null) {
    if (this.running) return this.#say('error', 'Teach is already running: cancel it first.');
    if (!this.#client.loaded) return this.#say('error', 'No model is loaded yet: Teach starts from the loaded model.');
    const core = await evaluationCore();
    const { plan, images } = classes ? planEvaluation(core, entries, classes) : planTeaching(core, entries);
    classes = Array.from(plan.classes());
    const root = plan.root();
    const name = this.#ui.name.value.trim() || root;
    const recipe = this.#recipe();
    const base = this.#client.loaded.manifest;

    const controller = (this.#controller = new AbortController());
    this.#setBusy(true);
    this.#results.clear();
    this.#ui.outcome.hidden = true;
    this.#ui.curves.replaceChildren();
    const started = performance.now();
    try {
      const start = this.#ui.start.value;
      const startName = start === 'loaded' ? `${base.name}'s backbone` : this.#ui.start.selectedOptions[0].textContent;
      this.#say('running', `Starting from ${startName}: classes ${classes.join(', ') || '(none)'}…`);
      const client = this.#client;
      const bundle = start === 'loaded' ? { kind: 'loaded' } : { kind: 'url', url: start };
      const { arch } = await client.teach('teachStart', { bundle, classes, recipe: JSON.stringify(recipe) });
      const results = new core.Evaluation(name, arch, classes, `${root} (validation share)`);
      results.addPlanSkipped(plan);
      for (const { path, message } of unlisted) results.skipUnlisted(path, message);
      const { heldOut } = await client.teach('teachShare', { classes: images.map((image) => image.trueIndex) });
      this.#startProgress(images.length);
      const history = [];
      const epochs = recipe.epochs ?? Number(byId('teach-epochs').value);
      let featuresDoneAt = null;
      const outcome = await runTeaching({
        images,
        heldOut,
        add: async (files, trueIndices, held, signal) => (await client.teach('teachAdd', { files, classes: trueIndices, heldOut: held }, signal)).results,
        step: async () => (await client.teach('teachStep')).step,
        sink: results,
        signal: controller.signal,
        onProgress: (progress) => {
          this.#progress(progress, recipe.part === 'network' ? 'Read' : 'Features of');
          if (progress.done === progress.total) featuresDoneAt ??= performance.now();
        },
        onStep: ({ epoch, batch, batches }) => this.#stepped(epoch, epochs, batch, batches),
        onEpoch: (record) => {
          this.#stepped(record.epoch, epochs, 1, 1);
          history.push(record);
          this.#ui.curves.replaceChildren(...trainingCurves(history, epochs));
          this.#say('running', `Epoch ${record.epoch} of ${epochs}: validation accuracy ${formatPercent(record.val_accuracy)}, loss ${record.val_loss.toFixed(3)}.`);
        },
      });
      const trainedAt = performance.now();
      if (!outcome.trained) {
        this.#say('cancelled', 'Cancelled before the first epoch ended: nothing was kept.');
        return;
      }
      const finished = await client.teach('teachFinish', { name });
      const validation = images.filter((_, i) => heldOut[i] && outcome.kept[i]);
      validation.forEach((image, k) => results.add(image.path, image.trueIndex, finished.probabilities[k]));
      // Complete even after a Cancel: the kept epoch classified the whole validation share.
      results.finish(true);
      const elapsedMs = performance.now() - started;
      this.#results.show({ evaluation: results, entries: new Map(validation.map((image) => [image.path, image.entry])), backend: client.backend, elapsedMs, total: validation.length });
      this.#showOutcome(finished, history, outcome.cancelled, elapsedMs, core);
      Object.assign(this.#ui.status.dataset, { featuresMs: String(featuresDoneAt - started), epochsMs: String(trainedAt - featuresDoneAt) });
    } catch (error) {
      this.#say('error', `Teach stopped: ${error.message}`);
    } finally {
      plan.free();
      this.#ui.progress.hidden = true;
      this.#controller = null;
      this.#setBusy(false);
    }
  }

  #startProgress(total) {
    this.#ui.progress.hidden = false;
    this.#ui.bar.max = Math.max(total, 1);
    this.#ui.bar.value = 0;
    this.#ui.cancel.disabled = false;
    this.#ui.cancel.textContent = 'Cancel';
  }

  #progress({ done, total, skipped, perSecond }, what) {
    this.#ui.bar.value = done;
    const rate = perSecond === null ? '' : ` · ${perSecond.toFixed(1)} images/s`;
    this.#ui.text.textContent = `${what} ${done} / ${total} images${skipped ? ` (${skipped} skipped)` : ''}${rate}`;
    if (done === total) this.#ui.text.textContent += ' · training…';
  }

  /** Training's progress: batches of the epoch under way. */
  #stepped(epoch, epochs, batch, batches) {
    this.#ui.bar.max = batches;
    this.#ui.bar.value = batch;
    this.#ui.text.textContent = `Training: epoch ${epoch} of ${epochs}, batch ${batch} of ${batches}`;
  }

  #showOutcome({ manifestText, weights, memoryBytes }, history, cancelled, elapsedMs, core) {
    // For the benchmark: Train → bundle ready, and the worker's wasm memory at the end (its peak).
    Object.assign(this.#ui.status.dataset, { elapsedMs: String(elapsedMs), memoryBytes: String(memoryBytes) });
    const manifest = JSON.parse(manifestText);
    // The kept epoch and its figures, as the session wrote them into the manifest.
    const kept = manifest.metrics;
    const files = [
      new File([manifestText], 'model.json', { type: 'application/json' }),
      new File([weights], manifest.weights.file, { type: 'application/octet-stream' }),
    ];
    const counts = manifest.training.settings;
    this.#say(
      cancelled ? 'cancelled' : 'done',
      `${cancelled ? 'Cancelled after' : 'Taught in'} ${formatMs(elapsedMs)}: ${history.length} epoch(s) on ${counts.training_images} images, validated on ${counts.validation_images}. ` +
        `Kept epoch ${kept.epoch}: validation accuracy ${formatPercent(kept.accuracy)}.`,
    );
    const button = (label, onClick, className = '') => {
      const element = h('button', { type: 'button', className }, label);
      element.addEventListener('click', onClick);
      return element;
    };
    this.#ui.outcome.replaceChildren(
      h('p', {}, `The bundle “${manifest.name}” (${manifest.arch}, classes ${core.classList(manifest.classes)}) is ready. `,
        'Keep both files in one folder: ', h('code', {}, 'trainer eval --model <folder>'), ' evaluates it, ',
        h('code', {}, 'trainer train --pretrained <folder>'), ' trains it further, and “Load your own model…” loads it here.'),
      h('div', { className: 'controls' },
        button('Download model.json', () => downloadBlob(files[0].name, files[0])),
        button(`Download ${files[1].name}`, () => downloadBlob(files[1].name, files[1])),
        button('Use this model', () => this.#useModel(files), 'secondary')),
    );
    this.#ui.outcome.hidden = false;
  }
}
