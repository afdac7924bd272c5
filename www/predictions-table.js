// The table of every evaluated image: thumbnail, path, true class, predicted class and the
// probabilities; sortable by any column, filterable (all / mistakes / false positives / false
// negatives), one page of rows at a time.
//
// Memory stays bounded for big folders: only the current page's rows exist, and a row's
// thumbnail object URL is created when the row scrolls into view and revoked when the page is
// re-rendered or the table is cleared.
// Which rows, in which order, and their figures come from the evaluation core (`tableJson`).
import { h } from './dom.js';
import { ARGMAX } from './evaluation-core.js';
import { fileOfEntry } from './folder.js';

const PAGE_SIZE = 50;

export const FILTERS = [
  ['all', 'All images'],
  ['mistakes', 'Mistakes'],
  ['false-positives', 'False positives'],
  ['false-negatives', 'False negatives'],
];

export class PredictionsTable {
  #container;
  #evaluation;
  /** Map path → folder entry, for thumbnails (empty for an opened report). */
  #entries;
  #classes;
  #decision = ARGMAX;
  #positive = 0;
  #filter = 'all';
  #sort = { key: 'path', descending: false };
  #page = 0;
  #thumbnailUrls = new Set();
  /** Thumbnail <img> → its folder entry (the File is fetched only when the row is seen). */
  #thumbnailEntries = new WeakMap();
  #observer = null;

  /**
   * @param container element the table (and its pager) is rendered into
   * @param evaluation the core's Evaluation
   * @param entries Map from a prediction's path to its folder entry
   * @param onWhere (entry, classIndex) => shows where the model saw that class in the image, or
   *                null where the loaded model is not the one evaluated
   */
  constructor(container, evaluation, entries, onWhere = null) {
    this.#container = container;
    this.#evaluation = evaluation;
    this.#entries = entries ?? new Map();
    this.#classes = evaluation.classes();
    this.#onWhere = onWhere;
  }

  #onWhere;

  /** Decision rule / positive class changed (threshold slider). Stays on the same page. */
  setDecision(decision, positive) {
    this.#decision = decision;
    this.#positive = positive;
    this.render();
  }

  setFilter(filter) {
    this.#filter = filter;
    this.#page = 0;
    this.render();
  }

  /** Revokes every thumbnail URL and empties the table. */
  clear() {
    this.#releaseThumbnails();
    this.#container.replaceChildren();
  }

  #releaseThumbnails() {
    this.#observer?.disconnect();
    this.#observer = null;
    for (const url of this.#thumbnailUrls) URL.revokeObjectURL(url);
    this.#thumbnailUrls.clear();
  }

  #sortButton(label, key) {
    const active = this.#sort.key === key;
    const arrow = active ? (this.#sort.descending ? ' ▼' : ' ▲') : '';
    const button = h('button', { type: 'button', className: 'sort' }, label, h('span', { 'aria-hidden': 'true' }, arrow));
    button.addEventListener('click', () => {
      this.#sort = { key, descending: active ? !this.#sort.descending : typeof key === 'number' };
      this.render();
      this.#container.querySelector(`[data-sort-key="${key}"] button`)?.focus();
    });
    return h(
      'th',
      { scope: 'col', 'data-sort-key': key, 'aria-sort': active ? (this.#sort.descending ? 'descending' : 'ascending') : 'none' },
      button,
    );
  }

  render() {
    this.#releaseThumbnails();
    const { rulePositive, threshold } = this.#decision;
    const { key, descending } = this.#sort;
    const table = JSON.parse(
      this.#evaluation.tableJson(rulePositive, threshold, this.#positive, this.#filter, String(key), descending, this.#page, PAGE_SIZE),
    );
    this.#page = Math.floor(table.first / PAGE_SIZE);
    const pageCount = Math.max(1, Math.ceil(table.total / PAGE_SIZE));

    this.#observer = new IntersectionObserver((entries) => this.#showThumbnails(entries), { rootMargin: '200px' });
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, h('span', { className: 'visually-hidden' }, 'Thumbnail')),
      this.#sortButton('Image', 'path'),
      this.#sortButton('True', 'true'),
      this.#sortButton('Predicted', 'predicted'),
      ...this.#classes.map((name, i) => this.#sortButton(`p(${name})`, i)),
    );
    const body = h('tbody', {}, ...table.rows.map((row) => this.#row(row)));
    if (table.rows.length === 0) {
      body.append(h('tr', {}, h('td', { colspan: 4 + this.#classes.length, className: 'empty' }, 'No images match this filter.')));
    }
    const element = h(
      'table',
      { className: 'predictions' },
      h('caption', { className: 'visually-hidden' }, 'Prediction for each image'),
      h('thead', {}, head),
      body,
    );
    this.#container.replaceChildren(h('div', { className: 'table-scroll' }, element), this.#pager(table.total, table.first, table.rows.length, pageCount));
  }

  #row(row) {
    const thumbnail = h('img', { alt: '', width: 48, height: 48, decoding: 'async', className: 'thumb' });
    thumbnail.dataset.path = row.path;
    const entry = this.#entries.get(row.path);
    if (entry) {
      this.#thumbnailEntries.set(thumbnail, entry);
      this.#observer.observe(thumbnail);
    } else {
      thumbnail.classList.add('absent');
    }
    const predicted = this.#classes.indexOf(row.predicted);
    let where = null;
    if (entry && this.#onWhere && predicted >= 0) {
      where = h('button', { type: 'button', className: 'where', 'aria-label': `Where the model saw ${row.predicted} in ${row.path}` }, 'Where?');
      where.addEventListener('click', () => this.#onWhere(entry, predicted));
    }
    return h(
      'tr',
      { className: row.correct ? 'correct' : 'mistake' },
      h('td', { className: 'thumb-cell' }, thumbnail, where),
      h('td', { className: 'path' }, row.path),
      h('td', {}, row.true),
      h('td', {}, row.predicted, row.correct ? null : h('span', { className: 'wrong-mark' }, ' ✗ wrong')),
      ...row.probabilities.map((p) => h('td', { className: 'num' }, p)),
    );
  }

  async #showThumbnails(entries) {
    for (const { target, isIntersecting } of entries) {
      if (!isIntersecting) continue;
      this.#observer?.unobserve(target);
      const entry = this.#thumbnailEntries.get(target);
      if (!entry) continue;
      const observer = this.#observer;
      try {
        const file = await fileOfEntry(entry);
        if (observer !== this.#observer || !target.isConnected) continue; // page changed meanwhile
        const url = URL.createObjectURL(file);
        this.#thumbnailUrls.add(url);
        target.addEventListener('error', () => target.classList.add('broken'), { once: true });
        target.src = url;
      } catch {
        target.classList.add('broken');
      }
    }
  }

  #pager(total, first, shown, pageCount) {
    const status = total === 0 ? 'No rows' : `Rows ${first + 1}–${first + shown} of ${total}`;
    const previous = h('button', { type: 'button', disabled: this.#page === 0, 'data-step': -1 }, 'Previous page');
    const next = h('button', { type: 'button', disabled: this.#page >= pageCount - 1, 'data-step': 1 }, 'Next page');
    for (const button of [previous, next]) {
      button.addEventListener('click', () => {
        const step = Number(button.dataset.step);
        this.#page += step;
        this.render();
        // Keep keyboard focus on the pager (the old buttons were replaced).
        const again = this.#container.querySelector(`.pager [data-step="${step}"]`);
        (again.disabled ? this.#container.querySelector(`.pager [data-step="${-step}"]`) : again)?.focus();
      });
    }
    return h('div', { className: 'pager' }, previous, h('span', { className: 'pager-status' }, status), next);
  }
}
