// The single-image result: the image, the predicted class with its probability ("logo 0.97"),
// a bar per class (the most probable few for a model of many classes), the time taken and the
// backend.
import { h, byId, formatProbability, formatMs } from './dom.js';
import { BACKEND_LABELS } from './backend.js';

export class ClassifyView {
  #panel = byId('classify-result');
  #image = byId('preview');
  #caption = byId('preview-name');
  #prediction = byId('prediction');
  #bars = byId('class-bars');
  #meta = byId('classify-meta');
  #previewUrl = null;

  /** Shows the image right away while it is being classified. */
  showPending(file) {
    this.#setPreview(file);
    this.#panel.hidden = false;
    this.#panel.dataset.state = 'pending';
    this.#prediction.replaceChildren('Classifying…');
    this.#prediction.classList.remove('error');
    this.#bars.replaceChildren();
    this.#meta.textContent = '';
  }

  /**
   * `best`: the predicted class, decided by the evaluation core; `shown`: the classes to draw a
   * bar for, the most probable first (the core ranks them), or null for every class in order.
   */
  showResult({ classes, probabilities, best, shown = null, ms, backend }) {
    this.#panel.dataset.state = 'done';
    this.#prediction.replaceChildren(
      h('span', { className: 'predicted-class' }, classes[best]),
      ' ',
      h('span', { className: 'predicted-probability' }, formatProbability(probabilities[best])),
    );
    const indices = shown ?? classes.map((_, i) => i);
    this.#bars.replaceChildren(
      ...indices.map((i) => {
        const name = classes[i];
        const fill = h('span', { className: 'fill' });
        fill.style.width = `${(probabilities[i] * 100).toFixed(1)}%`; // CSSOM: allowed by the CSP
        return h(
          'li',
          // The exact value, for tests and the curious; the text shows 4 decimals.
          { className: i === best ? 'best' : '', 'data-class': name, 'data-probability': String(probabilities[i]) },
          h('span', { className: 'name' }, name),
          h('span', { className: 'bar', 'aria-hidden': 'true' }, fill),
          h('span', { className: 'value' }, probabilities[i].toFixed(4)),
        );
      }),
      ...(shown ? [h('li', { className: 'more' }, `the ${shown.length} most probable of ${classes.length} classes`)] : []),
    );
    this.#meta.textContent = `${formatMs(ms)} on ${BACKEND_LABELS[backend] ?? backend}`;
  }

  showError(message) {
    this.#panel.hidden = false;
    this.#panel.dataset.state = 'error';
    this.#prediction.replaceChildren(message);
    this.#prediction.classList.add('error');
    this.#bars.replaceChildren();
    this.#meta.textContent = '';
  }

  clear() {
    this.#setPreview(null);
    this.#panel.hidden = true;
    delete this.#panel.dataset.state;
  }

  /** One object URL at a time: the previous image's is revoked. */
  #setPreview(file) {
    if (this.#previewUrl) URL.revokeObjectURL(this.#previewUrl);
    this.#previewUrl = file ? URL.createObjectURL(file) : null;
    if (this.#previewUrl) this.#image.src = this.#previewUrl;
    else this.#image.removeAttribute('src');
    this.#image.alt = file ? `The image being classified: ${file.name}` : '';
    this.#caption.textContent = file ? file.name : '';
  }
}
