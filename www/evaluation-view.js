// The results of a folder evaluation (or of a report opened from a file): summary, decision
// controls (positive class, threshold), confusion matrix, per-class precision/recall/F1,
// precision–recall curve (two classes), downloads, skipped files and the per-image table.
// Every figure, file and row comes from the evaluation core (Rust); this file only draws.
import { h, downloadText, formatPercent, formatMs } from './dom.js';
import { ARGMAX } from './evaluation-core.js';
import { prCurveSvg } from './pr-curve.js';
import { PredictionsTable, FILTERS } from './predictions-table.js';

/** Skipped files listed on the page; all of them are always in the JSON download. */
const SKIPPED_SHOWN = 1000;

export class EvaluationView {
  #container;
  #table;
  #result = null;
  /** Class index the filters and the curve are about. */
  #positive = 0;
  /** { rulePositive, threshold } as the core takes it. */
  #decision = ARGMAX;
  #parts = {};

  /** Prefixes the ids this view creates, so that two views can be on one page (Teach's). */
  #idPrefix;

  constructor(container, { idPrefix = '' } = {}) {
    this.#container = container;
    this.#idPrefix = idPrefix;
  }

  /**
   * @param result { evaluation (the core's Evaluation, finished), entries (Map path → folder
   *                 entry, for thumbnails), backend, error, elapsedMs, total, source }
   *               `source` is a report file's name when the results were opened from one;
   *               `onWhere` (entry, classIndex) shows a row's class map, where the loaded model is
   *               the one evaluated.
   */
  show(result) {
    this.clear();
    this.#result = result;
    const { evaluation } = result;
    const classes = evaluation.classes();
    const twoClass = classes.length === 2;
    const written = JSON.parse(evaluation.decisionJson());
    this.#decision = { rulePositive: written.rule_positive, threshold: written.threshold };
    this.#positive = Math.max(0, written.rule_positive);

    const parts = (this.#parts = {
      summary: h('p', { className: 'summary', role: 'status' }),
      matrix: h('div', { className: 'matrix-holder' }),
      perClass: h('div', { className: 'per-class-holder' }),
      curve: h('figure', { className: 'curve-holder', hidden: !twoClass }),
      table: h('div', { className: 'table-holder' }),
    });
    this.#table = new PredictionsTable(parts.table, evaluation, result.entries, result.onWhere ?? null);
    const skipped = JSON.parse(evaluation.skippedJson());

    this.#container.replaceChildren(
      h('h3', {}, 'Results for ', h('span', { className: 'folder-name' }, `“${evaluation.data()}”`)),
      parts.summary,
      this.#notes(result, evaluation),
      this.#decisionControls(classes, twoClass),
      h('div', { className: 'metrics-grid' }, parts.matrix, parts.perClass, parts.curve),
      this.#downloads(),
      this.#skippedList(skipped),
      h('h4', {}, 'Every image'),
      this.#filterControl(),
      parts.table,
    );
    this.#container.hidden = false;
    this.#update();
  }

  clear() {
    this.#table?.clear();
    this.#result?.evaluation.free();
    this.#result = null;
    this.#container.replaceChildren();
    this.#container.hidden = true;
  }

  #notes(result, evaluation) {
    const notes = h('div', { className: 'notes' });
    if (result.source) notes.append(h('p', {}, `Opened from ${result.source} (model “${evaluation.modelName()}”).`));
    if (result.cancelled) notes.append(h('p', { className: 'warning' }, 'Cancelled: these results cover the images classified before you cancelled.'));
    else if (result.source && !JSON.parse(evaluation.summaryJson(-1, 0.5, 0)).complete) {
      notes.append(h('p', { className: 'warning' }, 'This report is marked incomplete: its evaluation was cancelled or stopped.'));
    }
    if (result.error) notes.append(h('p', { className: 'error', role: 'alert' }, `The evaluation stopped: ${result.error}`));
    return notes;
  }

  #decisionControls(classes, twoClass) {
    const id = (name) => `${this.#idPrefix}decision-${name}`;
    const positiveSelect = h('select', { id: id('positive') }, ...classes.map((name, i) => h('option', { value: String(i) }, name)));
    positiveSelect.value = String(this.#positive);
    positiveSelect.addEventListener('change', () => {
      this.#positive = Number(positiveSelect.value);
      if (this.#decision.rulePositive >= 0) this.#decision = { ...this.#decision, rulePositive: this.#positive };
      this.#update();
    });
    const fieldset = h(
      'fieldset',
      { className: 'decision' },
      h('legend', {}, twoClass ? 'Decision' : 'Class for false positives / negatives'),
      h('label', { for: id('positive') }, twoClass ? 'Positive class' : 'Class'),
      positiveSelect,
    );
    if (!twoClass) return fieldset;

    const slider = h('input', { type: 'range', id: id('threshold'), min: '0', max: '1', step: '0.01', value: String(this.#decision.threshold) });
    const output = h('output', { for: id('threshold'), id: id('threshold-value') });
    const reset = h('button', { type: 'button' }, 'Reset to argmax');
    const describe = () => {
      output.textContent = this.#decision.rulePositive < 0 ? 'argmax' : Number(this.#decision.threshold).toFixed(2);
    };
    slider.addEventListener('input', () => {
      this.#decision = { rulePositive: this.#positive, threshold: Number(slider.value) };
      describe();
      this.#update();
    });
    reset.addEventListener('click', () => {
      slider.value = String(ARGMAX.threshold);
      this.#decision = ARGMAX;
      describe();
      this.#update();
    });
    describe();
    fieldset.append(h('label', { for: id('threshold') }, 'Threshold: positive when p(positive) ≥'), slider, output, reset);
    return fieldset;
  }

  #filterControl() {
    const id = `${this.#idPrefix}table-filter`;
    const select = h('select', { id }, ...FILTERS.map(([value, label]) => h('option', { value }, label)));
    select.addEventListener('change', () => this.#table.setFilter(select.value));
    return h('p', { className: 'filter' }, h('label', { for: id }, 'Show '), select);
  }

  /** Redraws everything that depends on the decision rule. */
  #update() {
    const { evaluation } = this.#result;
    const classes = evaluation.classes();
    const { rulePositive, threshold } = this.#decision;
    const summary = JSON.parse(evaluation.summaryJson(rulePositive, threshold, this.#positive));

    this.#parts.summary.textContent = this.#summaryText(summary);
    this.#parts.matrix.replaceChildren(confusionTable(classes, summary.confusion_matrix, summary.shown));
    this.#parts.perClass.replaceChildren(perClassTable(summary));
    if (classes.length === 2) {
      const here = summary.per_class[this.#positive];
      const ap = summary.curve.average_precision;
      this.#parts.curve.replaceChildren(
        prCurveSvg(summary.curve, here, classes[this.#positive]),
        h(
          'figcaption',
          {},
          `Precision–recall curve for “${classes[this.#positive]}”` +
            (ap === null ? '' : `, average precision ${ap.toFixed(3)}`) +
            '. The dot is the current threshold.',
        ),
      );
    }
    this.#table.setDecision(this.#decision, this.#positive);
  }

  #summaryText(summary) {
    const r = this.#result;
    const parts = [
      `${summary.images} of ${r.total ?? summary.images} images classified`,
      `${summary.skipped} skipped`,
      `accuracy ${formatPercent(summary.accuracy)}`,
      `macro F1 ${formatPercent(summary.macro_average.f1)}`,
    ];
    if (r.elapsedMs !== undefined) parts.push(`${formatMs(r.elapsedMs)} on ${r.backend === 'webgpu' ? 'WebGPU' : 'CPU'}`);
    return parts.join(' · ');
  }

  #downloads() {
    const { evaluation } = this.#result;
    const button = (label, fileName, type, write) => {
      const b = h('button', { type: 'button' }, label);
      b.addEventListener('click', () => downloadText(fileName, write(this.#decision.rulePositive, this.#decision.threshold), type));
      return b;
    };
    return h(
      'div',
      { className: 'downloads' },
      h('span', {}, 'Download: '),
      button('predictions.txt', 'predictions.txt', 'text/plain', (p, t) => evaluation.predictionsTxt(p, t)),
      button('CSV', 'predictions.csv', 'text/csv', (p, t) => evaluation.predictionsCsv(p, t)),
      button('JSON', 'predictions.json', 'application/json', (p, t) => evaluation.reportJson(p, t)),
    );
  }

  #skippedList(skipped) {
    if (skipped.length === 0) return h('p', { className: 'skipped-none' }, 'No files were skipped.');
    const list = h(
      'ul',
      { className: 'skipped' },
      ...skipped.slice(0, SKIPPED_SHOWN).map((s) => h('li', {}, h('span', { className: 'path' }, s.path), h('span', { className: 'reason' }, ` — ${s.reason}`))),
    );
    if (skipped.length > SKIPPED_SHOWN) {
      list.append(h('li', {}, `… and ${skipped.length - SKIPPED_SHOWN} more (all are listed in the JSON download).`));
    }
    return h(
      'details',
      { className: 'skipped-files', open: skipped.length <= 50 },
      h('summary', {}, `${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped (not classified), with reasons`),
      list,
    );
  }
}

/** `shown`: the classes to give a row and a column (the core's choice: all, or those that occur). */
function confusionTable(classes, matrix, shown) {
  const total = shown.reduce((sum, t) => sum + shown.reduce((row, p) => row + matrix[t][p], 0), 0) || 1;
  const caption = shown.length < classes.length ? `Confusion matrix: the ${shown.length} of ${classes.length} classes that occur` : 'Confusion matrix';
  const table = h(
    'table',
    { className: 'confusion' },
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, h('span', { className: 'visually-hidden' }, 'True class (rows) by predicted class (columns)'), h('span', { 'aria-hidden': 'true' }, 'true ↓ predicted →')),
        ...shown.map((p) => h('th', { scope: 'col' }, classes[p])),
      ),
    ),
    h(
      'tbody',
      {},
      ...shown.map((t) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, classes[t]),
          ...shown.map((p) => {
            const count = matrix[t][p];
            const cell = h('td', { className: t === p ? 'hit' : count > 0 ? 'miss' : 'zero', 'data-true': t, 'data-predicted': p }, String(count));
            // Shade by share of all images (CSSOM custom property: allowed by the CSP).
            cell.style.setProperty('--share', String(count / total));
            return cell;
          }),
        ),
      ),
    ),
  );
  return table;
}

function perClassTable(summary) {
  const row = (name, figures, images) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, name),
      h('td', { className: 'num' }, formatPercent(figures.precision)),
      h('td', { className: 'num' }, formatPercent(figures.recall)),
      h('td', { className: 'num' }, formatPercent(figures.f1)),
      h('td', { className: 'num' }, String(images)),
    );
  return h(
    'table',
    { className: 'per-class' },
    h('caption', {}, `Per class (accuracy ${formatPercent(summary.accuracy)})`),
    h('thead', {}, h('tr', {}, ...['Class', 'Precision', 'Recall', 'F1', 'Images'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...summary.shown.map((index) => summary.per_class[index]).map((figures) => row(figures.class, figures, figures.support))),
    h('tfoot', {}, row('macro average', summary.macro_average, summary.images)),
  );
}
