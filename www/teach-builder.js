// Teach without a folder: classes built here, image by image (picked, or photographed on a
// phone through the file picker's camera). They become folder entries like a picked folder's,
// "my classes/<class>/<n>-<name>", so that labeling, the split and training are the same Rust.
import { byId, h } from './dom.js';

/** The folder name the built classes take in reports. */
const ROOT = 'my classes';

export class TeachBuilder {
  #name = byId('teach-class-name');
  #list = byId('teach-classes');
  #start = byId('teach-start-built');
  #status = byId('teach-build-status');
  /** [{ name, files: File[] }] in the order added. */
  #classes = [];
  #nextId = 1;

  /** @param teach (entries, classes) => starts Teach on folder entries ([{ path, file }]) */
  constructor({ teach }) {
    byId('teach-add-class').addEventListener('click', () => this.#addClass());
    this.#name.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.#addClass();
      }
    });
    this.#start.addEventListener('click', () => teach(this.entries(), this.#classes.map((c) => c.name)));
    this.#render();
  }

  /** The built classes as folder entries, numbered so that equal file names stay apart. */
  entries() {
    return this.#classes.flatMap(({ name, files }) =>
      files.map((file, index) => ({ path: `${ROOT}/${name}/${String(index + 1).padStart(4, '0')}-${file.name}`, file })),
    );
  }

  #addClass() {
    const name = this.#name.value.trim();
    // A class is a folder name in the entries' paths; the Rust side judges the rest of the name.
    if (name === '' || name.includes('/')) {
      this.#status.textContent = name === '' ? 'Give the class a name first.' : 'A class name cannot contain “/”.';
      return;
    }
    if (this.#classes.some((c) => c.name === name)) {
      this.#status.textContent = `There is a class “${name}” already.`;
      return;
    }
    this.#classes.push({ name, files: [], id: this.#nextId++ });
    this.#name.value = '';
    this.#status.textContent = '';
    this.#render();
  }

  #render() {
    this.#list.replaceChildren(
      ...this.#classes.map((entry) => {
        const pick = h('input', { type: 'file', id: `teach-class-${entry.id}`, className: 'visually-hidden', multiple: true, accept: 'image/*' });
        const camera = h('input', { type: 'file', id: `teach-camera-${entry.id}`, className: 'visually-hidden', accept: 'image/*' });
        camera.setAttribute('capture', 'environment');
        for (const input of [pick, camera]) {
          input.addEventListener('change', () => {
            entry.files.push(...input.files);
            input.value = '';
            this.#render();
          });
        }
        const remove = h('button', { type: 'button', className: 'secondary' }, 'Remove');
        remove.addEventListener('click', () => {
          this.#classes = this.#classes.filter((c) => c !== entry);
          this.#render();
        });
        return h(
          'li',
          { 'data-class': entry.name },
          h('span', { className: 'class-name' }, entry.name),
          h('span', { className: 'count' }, ` ${entry.files.length} image${entry.files.length === 1 ? '' : 's'} `),
          pick,
          h('label', { for: pick.id, className: 'button secondary' }, 'Add images…'),
          camera,
          h('label', { for: camera.id, className: 'button secondary' }, 'Take a photo…'),
          remove,
        );
      }),
    );
    this.#start.disabled = this.#classes.length === 0;
  }
}
