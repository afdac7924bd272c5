// "Show where it saw": the class activation map of the classified image, drawn over it. The map,
// its colours and the blend are Rust's (src/class_map.rs, the same as `trainer predict --cam`);
// this puts the RGBA pixels it returns on a canvas in place of the preview.
import { byId, h } from './dom.js';

export class ClassMapView {
  #toggle = byId('cam-toggle');
  #select = byId('cam-class');
  #canvas = byId('cam-canvas');
  #image = byId('preview');
  #legend = byId('cam-legend');
  #status = byId('cam-status');
  #locate;
  /** Counts requests, so that a slow answer for an older image or class is ignored. */
  #token = 0;
  #hasImage = false;

  /**
   * @param locate (classIndex | undefined) => Promise<{ class, overlay, overlayWidth, overlayHeight,
   *               map, mapWidth, mapHeight, peakX, peakY }> for the image shown
   * @param legend (width) => Uint8ClampedArray of RGBA: the map's colours, low to high
   */
  constructor({ locate, legend }) {
    this.#locate = locate;
    this.#legendPixels = legend;
    this.#toggle.addEventListener('change', () => this.refresh());
    this.#select.addEventListener('change', () => this.refresh());
  }

  #legendPixels;
  #legendDrawn = false;

  /** A new model: its classes, no image. */
  setClasses(classes) {
    this.#select.replaceChildren(h('option', { value: '' }, 'the most probable class'), ...classes.map((name, i) => h('option', { value: String(i) }, name)));
    this.imageChanged(false);
  }

  /** Turns the map on for `classIndex`, for the next image shown (a table row's "Where?"). */
  showFor(classIndex) {
    this.#toggle.checked = true;
    this.#select.value = String(classIndex);
  }

  /** A new image is shown (or none): redraw if the map is on. */
  imageChanged(hasImage) {
    this.#hasImage = hasImage;
    this.refresh();
  }

  async refresh() {
    const token = ++this.#token;
    const on = this.#toggle.checked && this.#hasImage;
    this.#canvas.hidden = true;
    this.#image.hidden = false;
    this.#legend.hidden = !on;
    this.#status.textContent = '';
    delete this.#canvas.dataset.peakX;
    if (!on) return;
    this.#drawLegend();
    this.#status.textContent = 'Finding where…';
    try {
      const chosen = this.#select.value === '' ? undefined : Number(this.#select.value);
      const result = await this.#locate(chosen);
      if (token !== this.#token) return;
      this.#canvas.width = result.overlayWidth;
      this.#canvas.height = result.overlayHeight;
      this.#canvas.getContext('2d').putImageData(new ImageData(result.overlay, result.overlayWidth, result.overlayHeight), 0, 0);
      // For tests and the curious: the map as the page got it.
      Object.assign(this.#canvas.dataset, {
        class: String(result.class),
        peakX: String(result.peakX),
        peakY: String(result.peakY),
        map: JSON.stringify({ width: result.mapWidth, height: result.mapHeight, values: Array.from(result.map) }),
      });
      const className = this.#select.querySelector(`option[value="${result.class}"]`)?.textContent ?? `class ${result.class}`;
      this.#canvas.setAttribute('aria-label', `Where the model saw ${className}: strongest at ${Math.round(result.peakX * 100)} % across, ${Math.round(result.peakY * 100)} % down`);
      this.#canvas.setAttribute('role', 'img');
      this.#canvas.hidden = false;
      this.#image.hidden = true;
      this.#status.textContent = `Map of “${className}”: red where it counted most, blue where least.`;
    } catch (error) {
      if (token === this.#token) this.#status.textContent = `No map: ${error.message}`;
    }
  }

  async #drawLegend() {
    if (this.#legendDrawn) return;
    const bar = byId('cam-legend-bar');
    try {
      const pixels = await this.#legendPixels(bar.width);
      bar.getContext('2d').putImageData(new ImageData(pixels, bar.width, 1), 0, 0);
      this.#legendDrawn = true;
    } catch {
      // The legend follows on the next map.
    }
  }
}
