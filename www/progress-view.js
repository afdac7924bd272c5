// Progress of a folder evaluation: bar, "done / total · images/s · time left", Cancel.
// Screen readers hear it through a polite live region, updated at most every few seconds so the
// announcements do not pile up batch after batch.
import { byId, formatDuration } from './dom.js';

const ANNOUNCE_EVERY_MS = 5000;

export class ProgressView {
  #panel = byId('progress-panel');
  #bar = byId('progress-bar');
  #text = byId('progress-text');
  #announcer = byId('progress-announcer');
  #cancel = byId('cancel-button');
  #lastAnnounced = 0;
  #onCancel = null;

  constructor() {
    this.#cancel.addEventListener('click', () => {
      this.#cancel.disabled = true;
      this.#cancel.textContent = 'Cancelling…';
      this.#onCancel?.();
    });
  }

  start(total, onCancel) {
    this.#onCancel = onCancel;
    this.#panel.hidden = false;
    this.#bar.max = Math.max(total, 1);
    this.#bar.value = 0;
    this.#cancel.disabled = false;
    this.#cancel.textContent = 'Cancel';
    this.#lastAnnounced = 0;
    this.#text.textContent = `0 / ${total} images`;
    this.#announcer.textContent = `Evaluating ${total} images.`;
  }

  update({ done, total, perSecond, etaSeconds }) {
    this.#bar.value = done;
    const rate = perSecond === null ? '' : ` · ${perSecond.toFixed(1)} images/s · about ${formatDuration(etaSeconds)} left`;
    this.#text.textContent = `${done} / ${total} images${rate}`;
    const now = Date.now();
    if (now - this.#lastAnnounced >= ANNOUNCE_EVERY_MS) {
      this.#lastAnnounced = now;
      this.#announcer.textContent = `${done} of ${total} images done.`;
    }
  }

  finish(message) {
    this.#panel.hidden = true;
    this.#onCancel = null;
    this.#announcer.textContent = message;
  }
}
