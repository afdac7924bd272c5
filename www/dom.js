// Small DOM helpers. Everything that can carry user data (file names, class names from a
// user's model.json, error messages) is set as text, never parsed as HTML.

/**
 * Creates an element: h('td', { className: 'num', title: path }, 'text', child, ...).
 * Properties are assigned (className, hidden, type, value, …); keys starting with "aria-" or
 * "data-" and `for`/`scope`/`role` become attributes. Children are Nodes or text (null skipped).
 */
export function h(tag, properties = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('aria-') || key.startsWith('data-') || ['for', 'scope', 'role', 'colspan', 'rowspan'].includes(key)) {
      element.setAttribute(key, String(value));
    } else {
      element[key] = value;
    }
  }
  element.append(...children.filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return element;
}

/** SVG element with attributes (presentation attributes are allowed by the CSP; style="" is not). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  element.append(...children.map((c) => (c instanceof Node ? c : String(c))));
  return element;
}

export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element;
}

/** Offers `text` as a file download, built in memory (nothing is sent anywhere). */
export function downloadText(fileName, text, type = 'text/plain') {
  downloadBlob(fileName, new Blob([text], { type: `${type};charset=utf-8` }));
}

/** Offers a Blob (text or bytes) as a file download. */
export function downloadBlob(fileName, blob) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL; keep it alive a moment for slow browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "0.97" style probability. */
export function formatProbability(p) {
  return p.toFixed(2);
}

/** Percentage or "—" for an undefined metric (null). */
export function formatPercent(value, digits = 1) {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(digits)}%`;
}

export function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatDuration(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.ceil(seconds - minutes * 60)} s`;
}
