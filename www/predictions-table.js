// The table of every evaluated image: thumbnail, path, true class, predicted class and the
// probabilities; sortable by any column, filterable (all / mistakes / false positives / false
// negatives), one page of rows at a time.
//
// Memory stays bounded for big folders: only the current page's rows exist, and a row's
// thumbnail object URL is created when the row scrolls into view and revoked when the page is
// re-rendered or the table is cleared.
import { h } from './dom.js';
import { matchesFilter, predictIndex } from './metrics.js';
import { compareBytewise } from './path-order.js';
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
  #classes = [];
  #records = [];
  #rule = null;
  #positive = 0;
  #filter = 'all';
  #sort = { key: 'path', descending: false };
  #page = 0;
  #thumbnailUrls = new Set();
  /** Thumbnail <img> → its folder entry (the File is fetched only when the row is seen). */
  #thumbnailEntries = new WeakMap();
  #observer = null;

  /** @param container element the table (and its pager) is rendered into */
  constructor(container) {
    this.#container = container;
  }

  /** New evaluation: records from evaluate.runEvaluation(). */
  setData(records, classes) {
    this.#records = records;
    this.#classes = classes;
    this.#page = 0;
    this.render();
  }

  /** Decision rule / positive class changed (threshold slider). Stays on the same page. */
  setDecision(rule, positive) {
    this.#rule = rule;
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
    this.#records = [];
    this.#container.replaceChildren();
  }

  #releaseThumbnails() {
    this.#observer?.disconnect();
    this.#observer = null;
    for (const url of this.#thumbnailUrls) URL.revokeObjectURL(url);
    this.#thumbnailUrls.clear();
  }

  /** Rows after filtering, with their predictions, in the current sort order. */
  #visibleRows() {
    const rows = [];
    for (const record of this.#records) {
      const predicted = predictIndex(record.probabilities, this.#rule);
      if (matchesFilter(this.#filter, record.trueIndex, predicted, this.#positive)) rows.push({ record, predicted });
    }
    const { key, descending } = this.#sort;
    const compare = {
      path: (a, b) => compareBytewise(a.record.path, b.record.path),
      true: (a, b) => compareBytewise(this.#classes[a.record.trueIndex], this.#classes[b.record.trueIndex]),
      predicted: (a, b) => compareBytewise(this.#classes[a.predicted], this.#classes[b.predicted]),
    }[key] ?? ((a, b) => a.record.probabilities[key] - b.record.probabilities[key]);
    // Ties fall back to path order so that the order is stable and predictable.
    rows.sort((a, b) => (descending ? -1 : 1) * compare(a, b) || compareBytewise(a.record.path, b.record.path));
    return rows;
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
    const rows = this.#visibleRows();
    const pageCount = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    this.#page = Math.min(this.#page, pageCount - 1);
    const first = this.#page * PAGE_SIZE;
    const pageRows = rows.slice(first, first + PAGE_SIZE);

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
    const body = h('tbody', {}, ...pageRows.map((row) => this.#row(row)));
    if (pageRows.length === 0) {
      body.append(h('tr', {}, h('td', { colspan: 4 + this.#classes.length, className: 'empty' }, 'No images match this filter.')));
    }
    const table = h(
      'table',
      { className: 'predictions' },
      h('caption', { className: 'visually-hidden' }, 'Prediction for each image'),
      h('thead', {}, head),
      body,
    );
    this.#container.replaceChildren(h('div', { className: 'table-scroll' }, table), this.#pager(rows.length, first, pageRows.length, pageCount));
  }

  #row({ record, predicted }) {
    const correct = predicted === record.trueIndex;
    const thumbnail = h('img', { alt: '', width: 48, height: 48, decoding: 'async', className: 'thumb' });
    thumbnail.dataset.path = record.path;
    this.#thumbnailEntries.set(thumbnail, record.entry);
    this.#observer.observe(thumbnail);
    return h(
      'tr',
      { className: correct ? 'correct' : 'mistake' },
      h('td', {}, thumbnail),
      h('td', { className: 'path' }, record.path),
      h('td', {}, this.#classes[record.trueIndex]),
      h('td', {}, this.#classes[predicted], correct ? null : h('span', { className: 'wrong-mark' }, ' ✗ wrong')),
      ...Array.from(record.probabilities, (p) => h('td', { className: 'num' }, p.toFixed(4))),
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
