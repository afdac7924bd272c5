// The evaluation core: everything after the probabilities (labeling a folder, skip reasons, the
// decision rule, metrics, the table, the downloads) is Rust (evaluation/ in the repository), the
// same code `trainer eval` runs. It is a small wasm module of its own, loaded here on the main
// thread: the threshold slider recomputes synchronously, whatever the inference worker is doing.

let loading = null;

/** The module's exports ({ planFolder, Evaluation }), loaded once. */
export function evaluationCore() {
  loading ??= (async () => {
    const module = await import(new URL('./pkg/evaluation/effilens_evaluation.js', import.meta.url).href);
    await module.default();
    return module;
  })();
  return loading;
}

/** A decision as the core takes it: `rulePositive` -1 is argmax, else a threshold on that class. */
export const ARGMAX = Object.freeze({ rulePositive: -1, threshold: 0.5 });
