// The page's handle on the inference worker (worker.js): promise-based requests, and the
// backend policy — start a fresh worker per backend, fall back from WebGPU to CPU when WebGPU
// fails (at load or while classifying), and restart a worker whose wasm crashed.
//
// Events (CustomEvent, on this EventTarget):
//   'backendchange'  detail { loaded, reason } — the backend now running (loaded.backend, loaded.threads)
//                    changed on its own (a fallback or a restart), so the page can say so.

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Error with the worker's classification: kind 'image' | 'bundle' | 'backend', and fatal. */
export class ClassifierError extends Error {
  constructor({ message, kind, fatal }) {
    super(message);
    this.kind = kind;
    this.fatal = Boolean(fatal);
  }
}

/** One worker: request/response by id. */
class WorkerConnection {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #broken = null;

  /** `onLost(error)`: the worker's WebGPU device is gone; its requests have failed with `error`. */
  constructor({ onLost = () => {} } = {}) {
    this.#worker = new Worker(WORKER_URL, { type: 'module', name: 'effilens-inference' });
    this.#worker.onmessage = (event) => {
      const reply = event.data;
      if (reply.type === 'webgpuLost') {
        const error = new ClassifierError({ message: `the WebGPU device was lost: ${reply.reason}`, kind: 'backend', fatal: true });
        this.#stop(error);
        onLost(error);
        return;
      }
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply);
      else pending.reject(new ClassifierError(reply.error));
    };
    // An uncaught error or a script that does not load: nothing this worker says can be trusted.
    this.#worker.onerror = (event) => {
      event.preventDefault?.();
      this.#fail(`the inference worker failed: ${event.message || 'script error'}`);
    };
    this.#worker.onmessageerror = () => this.#fail('the inference worker sent an unreadable message');
  }

  #fail(message) {
    this.#broken = new ClassifierError({ message, kind: 'backend', fatal: true });
    for (const pending of this.#pending.values()) pending.reject(this.#broken);
    this.#pending.clear();
  }

  /**
   * Sends `message`; resolves with the reply. `timeoutMs`: a worker that has not answered by then
   * is stopped (a fatal backend error: the page restarts it). `signal`: aborting stops the worker
   * at once, whatever it is doing (an 'aborted' error).
   */
  request(message, { timeoutMs = null, signal = null } = {}) {
    if (this.#broken) return Promise.reject(this.#broken);
    if (signal?.aborted) return Promise.reject(aborted());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      let timer = null;
      const onAbort = () => this.#stop(aborted());
      const settle = (settled) => (value) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settled(value);
      };
      this.#pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      if (timeoutMs !== null) {
        timer = setTimeout(
          () => this.#stop(new ClassifierError({ message: `the classifier did not answer within ${Math.round(timeoutMs / 1000)} s`, kind: 'backend', fatal: true })),
          timeoutMs,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#worker.postMessage({ ...message, id });
    });
  }

  /** Stops the worker; every request still waiting fails with `error`. */
  #stop(error) {
    this.#worker.terminate();
    this.#broken = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  terminate() {
    this.#worker.terminate();
    this.#fail('the inference worker was stopped');
  }
}

/** The error a request rejects with when its signal aborts it. */
function aborted() {
  return new ClassifierError({ message: 'cancelled', kind: 'aborted', fatal: true });
}

/** How long a request may take before its worker is taken for hung: generous, only for hangs. */
function timeLimitMs(files) {
  return 120_000 + 30_000 * files;
}

export class ClassifierClient extends EventTarget {
  #connection = null;
  /** The connection has not loaded anything yet (fresh): it may still pick its backend. */
  #fresh = false;
  /** What is loaded: { backend, classes, manifest, bundle, loadMs, warmUpMs }, or null. */
  loaded = null;

  #freshConnection() {
    if (this.#connection && this.#fresh) return this.#connection;
    this.#connection?.terminate();
    const connection = new WorkerConnection({ onLost: (error) => this.#recoverFrom(connection, error).catch(() => {}) });
    this.#connection = connection;
    this.#fresh = true;
    return this.#connection;
  }

  /** WebGPU as seen from a worker (where inference runs); see backend.js probeWebGpu(). */
  async probe() {
    const reply = await this.#freshConnection().request({ type: 'probe' });
    return reply.webgpu;
  }

  get backend() {
    return this.loaded?.backend ?? null;
  }

  /**
   * Starts `backend` in a new worker and loads `bundle` into it. If WebGPU fails there, tries the
   * CPU build: when that works the WebGPU failure is reported as `fellBackFrom`; when it fails too
   * the bundle is at fault and its (CPU) error is thrown.
   * Returns this.loaded plus { fellBackFrom: { backend, message } | null }.
   */
  async start(backend, bundle) {
    const connection = this.#freshConnection();
    this.loaded = null; // whatever ran before is gone with its worker
    try {
      await this.#loadInto(connection, backend, bundle);
      return { ...this.loaded, fellBackFrom: null };
    } catch (error) {
      if (backend !== 'webgpu') throw error;
      this.#fresh = false; // never reuse a worker that touched WebGPU for the CPU build
      await this.#loadInto(this.#freshConnection(), 'cpu', bundle);
      return { ...this.loaded, fellBackFrom: { backend, message: error.message } };
    }
  }

  /**
   * Loads another bundle on the running backend (or starts `backend` if nothing runs yet). The
   * previous model keeps working if it fails; the error (e.g. the Rust side's checksum or
   * architecture message) is thrown.
   */
  async loadBundle(bundle, backend) {
    if (!this.loaded) return this.start(backend, bundle);
    const connection = this.#connection;
    try {
      await this.#loadInto(connection, this.loaded.backend, bundle);
    } catch (error) {
      // Not retried: the same files would fail the same way. But if the worker died with them,
      // bring the previous model back up before reporting.
      if (this.#needsRecovery(error)) await this.#recoverFrom(connection, error);
      throw error;
    }
    return this.loaded;
  }

  async #loadInto(connection, backend, bundle) {
    const reply = await connection.request({ type: 'load', backend, bundle });
    this.#fresh = false;
    this.loaded = {
      backend: reply.backend,
      threads: reply.threads,
      classes: reply.classes,
      manifest: reply.manifest,
      bundle,
      loadMs: reply.loadMs,
      warmUpMs: reply.warmUpMs,
    };
  }

  /** Probabilities for one image File: { probabilities, ms, backend }. */
  classify(file) {
    return this.#withRecovery(() => this.#connection.request({ type: 'classify', file }, { timeoutMs: timeLimitMs(1) }));
  }

  /**
   * One result per File (probabilities, the decoder's reason, or { unreadable }):
   * { results, ms, backend }. Not retried here: after a crash the worker is restarted and the
   * error thrown, so that the caller can retry the images one by one (evaluate.js). `signal`
   * cancels at once, stopping the worker; the model is reloaded in a fresh one behind it.
   */
  classifyBatch(files, signal = null) {
    return this.#withRecovery(
      () => this.#connection.request({ type: 'classifyBatch', files }, { timeoutMs: timeLimitMs(files.length), signal }),
      { retry: false },
    );
  }

  /** Where the model saw a class in one image File: the worker's `located` (see worker.js). */
  async locate(file, classIndex) {
    const reply = await this.#withRecovery(() => this.#connection.request({ type: 'locate', file, classIndex }, { timeoutMs: timeLimitMs(1) }));
    return reply.located;
  }

  /** The class maps' colours, low to high: `width` RGBA pixels. */
  async legend(width) {
    return (await this.#withRecovery(() => this.#connection.request({ type: 'legend', width }))).pixels;
  }

  /**
   * A Teach request (worker.js: teachStart, teachShare, teachAdd, teachStep, teachFinish) with
   * its payload; resolves with the reply. A crash ends the session (the model is reloaded behind
   * it); `signal` cancels at once, as for classifyBatch.
   */
  teach(type, payload = {}, signal = null) {
    const files = payload.files?.length ?? 1;
    return this.#withRecovery(
      () => this.#connection.request({ type, ...payload }, { timeoutMs: timeLimitMs(files), signal }),
      { retry: false },
    );
  }

  /**
   * Runs a request; on a backend failure moves to a working backend and retries once.
   * Image and bundle errors are the input's fault and go straight to the caller.
   */
  async #withRecovery(run, { retry = true } = {}) {
    await this.#restarting;
    if (!this.#connection || !this.loaded) {
      throw new ClassifierError({ message: 'no model is loaded yet', kind: 'backend' });
    }
    const connection = this.#connection;
    try {
      return await run();
    } catch (error) {
      if (error.kind === 'aborted') {
        // Cancelled mid-request: the worker is gone; bring the model back up behind the caller.
        this.#restarting = this.#loadInto(this.#freshConnection(), this.loaded.backend, this.loaded.bundle).catch((failure) =>
          this.#recover(failure),
        );
        throw error;
      }
      if (!this.#needsRecovery(error)) throw error;
      await this.#recoverFrom(connection, error);
      if (!retry) throw error;
      return run();
    }
  }

  /** A reload after a cancel or a failure, which the next request waits for. */
  #restarting = Promise.resolve();
  /** The connection whose failure #restarting recovers from. */
  #failed = null;

  /**
   * Recovers from `connection`'s failure once: its lost device and the requests that failed with
   * it wait for the same reload. A connection already replaced needs nothing more.
   */
  #recoverFrom(connection, error) {
    if (connection === this.#connection && connection !== this.#failed && this.loaded) {
      this.#failed = connection;
      this.#restarting = this.#recover(error);
    }
    return this.#restarting;
  }

  /** A WebGPU failure of any kind, or a crashed (trapped) wasm instance on CPU. */
  #needsRecovery(error) {
    return error.kind === 'backend' && (this.loaded?.backend === 'webgpu' || error.fatal);
  }

  /**
   * Reloads the current model in a fresh CPU worker: WebGPU → CPU when WebGPU failed (e.g. the
   * device was lost), or a new CPU worker after a crash. Tells the page why.
   */
  async #recover(error) {
    const reason =
      this.loaded.backend === 'webgpu'
        ? `WebGPU failed (${error.message}); switched to CPU`
        : `the classifier crashed (${error.message}) and was restarted`;
    this.#fresh = false;
    await this.#loadInto(this.#freshConnection(), 'cpu', this.loaded.bundle);
    this.dispatchEvent(new CustomEvent('backendchange', { detail: { loaded: this.loaded, reason } }));
  }
}
