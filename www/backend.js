// Which inference backend to run: WebGPU when the browser offers a real (hardware) adapter,
// otherwise CPU. Decided in JS before any wasm runs, because initialising WebGPU inside the wasm
// where there is none panics instead of failing politely.

export const BACKENDS = ['webgpu', 'cpu'];

export const BACKEND_LABELS = { webgpu: 'WebGPU', cpu: 'CPU' };

/**
 * What WebGPU looks like from `nav` (a Navigator or WorkerNavigator; the worker probes its own,
 * since that is where the wasm will use it).
 * Returns { available, fallback, description, reason } where available means an adapter was
 * granted and fallback means it is a software adapter (e.g. SwiftShader), usually slower than
 * the CPU build.
 */
export async function probeWebGpu(nav) {
  if (!nav || !nav.gpu) {
    return { available: false, fallback: false, description: '', reason: 'this browser has no WebGPU' };
  }
  let adapter;
  try {
    adapter = await nav.gpu.requestAdapter();
  } catch (error) {
    return { available: false, fallback: false, description: '', reason: `WebGPU adapter request failed: ${error?.message || error}` };
  }
  if (!adapter) {
    return { available: false, fallback: false, description: '', reason: 'WebGPU has no adapter here' };
  }
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; browsers have one or the other.
  const fallback = Boolean(adapter.isFallbackAdapter ?? adapter.info?.isFallbackAdapter);
  const info = adapter.info || {};
  const description = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  return { available: true, fallback, description, reason: fallback ? 'the WebGPU adapter is a software fallback' : '' };
}

/** The `?backend=cpu|webgpu` URL parameter, or null when absent or not a backend name. */
export function requestedBackend(search) {
  const value = new URLSearchParams(search).get('backend');
  return BACKENDS.includes(value) ? value : null;
}

/**
 * The backend to start with and why, in words for the page.
 * `requested`: from the URL (forces it; tests use this) or the user's choice; `probe`: from
 * probeWebGpu(). A forced WebGPU still needs an adapter, but may be a fallback one.
 */
export function chooseBackend({ requested, probe }) {
  if (requested === 'cpu') return { backend: 'cpu', reason: 'CPU chosen' };
  if (requested === 'webgpu') {
    return probe.available
      ? { backend: 'webgpu', reason: 'WebGPU chosen' }
      : { backend: 'cpu', reason: `WebGPU unavailable (${probe.reason}), using CPU` };
  }
  if (probe.available && !probe.fallback) return { backend: 'webgpu', reason: 'WebGPU detected' };
  return { backend: 'cpu', reason: `using CPU: ${probe.reason}` };
}
