// `?model=<URL of a model.json>`: a link that opens a published bundle. Only this page's own
// origin: the Content-Security-Policy (connect-src 'self') lets the page fetch nothing else, so
// a bundle elsewhere is refused here with a message rather than by the browser with none.

/**
 * The linked manifest's absolute URL, `{ error }` when the parameter is unusable, or null when
 * there is none. Relative values resolve against the page (`?model=models/mine/model.json`).
 */
export function linkedModel(search, pageHref) {
  const value = new URLSearchParams(search).get('model');
  if (value === null || value.trim() === '') return null;
  let url;
  try {
    url = new URL(value, pageHref);
  } catch {
    return { error: `?model=${value} is not a URL.` };
  }
  const page = new URL(pageHref);
  if (url.origin !== page.origin) {
    return { error: `?model= must name a model.json on this site (${page.origin}), not on ${url.origin}.` };
  }
  return { url: url.href };
}

/** Where a loaded bundle came from, for the model's facts. */
export function describeSource(bundle, pageHref) {
  if (!bundle) return null;
  if (bundle.kind === 'files') return `your files: ${bundle.files.map((f) => f.name).join(', ')}`;
  const url = new URL(bundle.url, pageHref);
  return url.origin === new URL(pageHref).origin ? url.pathname + url.search : url.href;
}
