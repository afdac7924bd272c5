// The results of a folder evaluation: summary, decision controls (positive class, threshold),
// confusion matrix, per-class precision/recall/F1, precision–recall curve (two classes),
// downloads, skipped files and the per-image table. Recomputes live when the threshold moves.
import { h, downloadText, formatPercent, formatMs } from './dom.js';
import {
  DEFAULT_THRESHOLD,
  accuracy,
  confusionMatrix,
  decisionRule,
  macroAverage,
  perClassMetrics,
  precisionRecallCurve,
} from './metrics.js';
import { predictionsTxt, predictionsCsv, evaluationJson } from './exports.js';
import { prCurveSvg } from './pr-curve.js';
import { PredictionsTable, FILTERS } from './predictions-table.js';

/** Skipped files listed on the page; all of them are always in the JSON download. */
const SKIPPED_SHOWN = 1000;

export class EvaluationView {
  #container;
  #table;
  #result = null;
  #positive = 0;
  #threshold = DEFAULT_THRESHOLD;
  /** Parts re-rendered when the decision changes. */
  #parts = {};
  /** The latest { matrix, perClass, accuracy } (for the JSON download). */
  #current = null;

  constructor(container) {
    this.#container = container;
  }

  /**
   * @param result { classes, model (manifest), backend, rootName, records, skipped, cancelled,
   *                 error, elapsedMs, total }
   */
  show(result) {
    this.clear();
    this.#result = result;
    this.#positive = 0;
    this.#threshold = DEFAULT_THRESHOLD;
    const { classes } = result;
    const twoClass = classes.length === 2;

    const parts = (this.#parts = {
      summary: h('p', { className: 'summary', role: 'status' }),
      matrix: h('div', { className: 'matrix-holder' }),
      perClass: h('div', { className: 'per-class-holder' }),
      curve: h('figure', { className: 'curve-holder', hidden: !twoClass }),
      table: h('div', { className: 'table-holder' }),
    });
    this.#table = new PredictionsTable(parts.table);

    this.#container.replaceChildren(
      h('h3', {}, 'Results for ', h('span', { className: 'folder-name' }, `“${result.rootName}”`)),
      parts.summary,
      this.#notes(result),
      this.#decisionControls(classes, twoClass),
      h('div', { className: 'metrics-grid' }, parts.matrix, parts.perClass, parts.curve),
      this.#downloads(),
      this.#skippedList(result.skipped),
      h('h4', {}, 'Every image'),
      this.#filterControl(),
      parts.table,
    );
    this.#container.hidden = false;
    this.#table.setData(result.records, classes);
    this.#update();
  }

  clear() {
    this.#table?.clear();
    this.#result = null;
    this.#container.replaceChildren();
    this.#container.hidden = true;
  }

  get #rule() {
    return decisionRule({ classCount: this.#result.classes.length, positive: this.#positive, threshold: this.#threshold });
  }

  #notes(result) {
    const notes = h('div', { className: 'notes' });
    if (result.cancelled) notes.append(h('p', { className: 'warning' }, `Cancelled: these results cover the images classified before you cancelled.`));
    if (result.error) notes.append(h('p', { className: 'error', role: 'alert' }, `The evaluation stopped: ${result.error}`));
    return notes;
  }

  #decisionControls(classes, twoClass) {
    const id = (name) => `decision-${name}`;
    const positiveSelect = h(
      'select',
      { id: id('positive') },
      ...classes.map((name, i) => h('option', { value: String(i) }, name)),
    );
    positiveSelect.addEventListener('change', () => {
      this.#positive = Number(positiveSelect.value);
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

    const slider = h('input', { type: 'range', id: id('threshold'), min: '0', max: '1', step: '0.01', value: String(DEFAULT_THRESHOLD) });
    const output = h('output', { for: id('threshold'), id: id('threshold-value') });
    const reset = h('button', { type: 'button' }, 'Reset to argmax');
    const describe = () => {
      output.textContent =
        this.#threshold === DEFAULT_THRESHOLD ? `${this.#threshold.toFixed(2)} (argmax)` : this.#threshold.toFixed(2);
    };
    slider.addEventListener('input', () => {
      this.#threshold = Number(slider.value);
      describe();
      this.#update();
    });
    reset.addEventListener('click', () => {
      slider.value = String(DEFAULT_THRESHOLD);
      this.#threshold = DEFAULT_THRESHOLD;
      describe();
      this.#update();
    });
    describe();
    fieldset.append(
      h('label', { for: id('threshold') }, 'Threshold: positive when p(positive) ≥'),
      slider,
      output,
      reset,
    );
    return fieldset;
  }

  #filterControl() {
    const select = h('select', { id: 'table-filter' }, ...FILTERS.map(([value, label]) => h('option', { value }, label)));
    select.addEventListener('change', () => this.#table.setFilter(select.value));
    return h('p', { className: 'filter' }, h('label', { for: 'table-filter' }, 'Show '), select);
  }

  /** Recomputes everything that depends on the decision rule. */
  #update() {
    const { classes, records } = this.#result;
    const rule = this.#rule;
    const matrix = confusionMatrix(records, classes.length, rule);
    const perClass = perClassMetrics(matrix);
    const overall = accuracy(matrix);
    this.#current = { matrix, perClass, accuracy: overall };

    this.#parts.summary.textContent = this.#summaryText(overall, perClass);
    this.#parts.matrix.replaceChildren(confusionTable(classes, matrix));
    this.#parts.perClass.replaceChildren(perClassTable(classes, perClass, overall));
    if (classes.length === 2) {
      const curve = precisionRecallCurve(records, this.#positive);
      const here = perClass[this.#positive];
      this.#parts.curve.replaceChildren(
        prCurveSvg(curve, here, classes[this.#positive]),
        h(
          'figcaption',
          {},
          `Precision–recall curve for “${classes[this.#positive]}”` +
            (curve.averagePrecision === null ? '' : `, average precision ${curve.averagePrecision.toFixed(3)}`) +
            '. The dot is the current threshold.',
        ),
      );
    }
    this.#table.setDecision(rule, this.#positive);
  }

  #summaryText(overall, perClass) {
    const r = this.#result;
    const parts = [
      `${r.records.length} of ${r.total} images classified`,
      `${r.skipped.length} skipped`,
      `accuracy ${formatPercent(overall)}`,
      `macro F1 ${formatPercent(macroAverage(perClass, 'f1'))}`,
      `${formatMs(r.elapsedMs)} on ${r.backend === 'webgpu' ? 'WebGPU' : 'CPU'}`,
    ];
    return parts.join(' · ');
  }

  #downloads() {
    const button = (label, onClick) => {
      const b = h('button', { type: 'button' }, label);
      b.addEventListener('click', onClick);
      return b;
    };
    return h(
      'div',
      { className: 'downloads' },
      h('span', {}, 'Download: '),
      button('predictions.txt', () =>
        downloadText('predictions.txt', predictionsTxt(this.#result.records, this.#result.classes.length, this.#rule)),
      ),
      button('CSV', () =>
        downloadText('predictions.csv', predictionsCsv(this.#result.records, this.#result.classes, this.#rule), 'text/csv'),
      ),
      button('JSON', () =>
        downloadText(
          'evaluation.json',
          evaluationJson({
            model: { ...this.#result.model, classes: this.#result.classes },
            backend: this.#result.backend,
            rule: this.#rule,
            ...this.#current,
            records: this.#result.records,
            skipped: this.#result.skipped,
            cancelled: this.#result.cancelled,
          }),
          'application/json',
        ),
      ),
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

function confusionTable(classes, matrix) {
  const total = matrix.flat().reduce((a, b) => a + b, 0) || 1;
  const table = h(
    'table',
    { className: 'confusion' },
    h('caption', {}, 'Confusion matrix'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, h('span', { className: 'visually-hidden' }, 'True class (rows) by predicted class (columns)'), h('span', { 'aria-hidden': 'true' }, 'true ↓ predicted →')),
        ...classes.map((name) => h('th', { scope: 'col' }, name)),
      ),
    ),
    h(
      'tbody',
      {},
      ...matrix.map((row, t) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, classes[t]),
          ...row.map((count, p) => {
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

function perClassTable(classes, perClass, overall) {
  return h(
    'table',
    { className: 'per-class' },
    h('caption', {}, `Per class (accuracy ${formatPercent(overall)})`),
    h(
      'thead',
      {},
      h('tr', {}, ...['Class', 'Precision', 'Recall', 'F1', 'Images'].map((t) => h('th', { scope: 'col' }, t))),
    ),
    h(
      'tbody',
      {},
      ...perClass.map((m, i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, classes[i]),
          h('td', { className: 'num' }, formatPercent(m.precision)),
          h('td', { className: 'num' }, formatPercent(m.recall)),
          h('td', { className: 'num' }, formatPercent(m.f1)),
          h('td', { className: 'num' }, String(m.support)),
        ),
      ),
    ),
  );
}
