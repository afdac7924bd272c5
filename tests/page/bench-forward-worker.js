// Forward passes alone, for tests/page/bench.mjs: the page's own wasm build, or ONNX Runtime Web
// on an ONNX export of the same architecture, timed in a worker of the served page (so with the
// page's cross-origin isolation, and threads where the build has them). No decoding, no page:
// what ONNX Runtime's own `session.run` figures measure, so that the two compare like for like.
//
// cargo xtask bench's server serves it at /bench/forward-worker.js, beside /bench/model.onnx and
// /bench/ort/ (onnxruntime-web's dist folder).
//
// Request: { engine: 'effilens', build, backend, threads, warmup, runs }
//        | { engine: 'onnxruntime-web', backend, threads, batch, warmup, runs }
//   backend: 'cpu' (effilens' builds cpu and cpu-threads; ONNX Runtime Web's wasm backend) or
//   'webgpu' (effilens' webgpu build; ONNX Runtime Web's WebGPU backend)
// Reply:   { values: [ms per forward pass] } | { error: message }

/** The bundled model both engines run at its input size. */
const BUNDLE = new URL('/models/logo/', self.location.href);

async function manifestText() {
  return (await fetch(new URL('model.json', BUNDLE))).text();
}

async function timeRuns(warmup, runs, pass) {
  for (let i = 0; i < warmup; i++) await pass();
  const values = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await pass();
    values.push(performance.now() - started);
  }
  return values;
}

/** One image through the page's network: Classifier.warmUp, a blank input already in memory. */
async function effilensPass({ build, backend, threads }) {
  const wasm = await import(new URL(`/pkg/${build}/effilens.js`, self.location.href));
  await wasm.default();
  if (threads > 1) await wasm.initThreadPool(threads);
  const manifest = await manifestText();
  const weights = await fetch(new URL(JSON.parse(manifest).weights.file, BUNDLE));
  const classifier = await wasm.Classifier.load(manifest, new Uint8Array(await weights.arrayBuffer()), backend);
  return () => classifier.warmUp();
}

/**
 * `batch` random images through ONNX Runtime Web (fp32): its wasm backend (SIMD, `threads`
 * threads) or its WebGPU backend, each from the bundle that carries only it.
 */
async function onnxRuntimePass({ backend, threads, batch }) {
  const webgpu = backend === 'webgpu';
  const ort = await import(new URL(`/bench/ort/${webgpu ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs'}`, self.location.href));
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = new URL('/bench/ort/', self.location.href).href;
  const session = await ort.InferenceSession.create(new URL('/bench/model.onnx', self.location.href).href, {
    executionProviders: [webgpu ? 'webgpu' : 'wasm'],
    graphOptimizationLevel: 'all',
  });
  // The ONNX export's input size is the bundle's (cargo xtask bench passes it to torch_bench.py).
  const size = JSON.parse(await manifestText()).image_size;
  const pixels = Float32Array.from({ length: batch * 3 * size * size }, () => Math.random() * 2 - 1);
  const input = new ort.Tensor('float32', pixels, [batch, 3, size, size]);
  return () => session.run({ [session.inputNames[0]]: input });
}

self.onmessage = async ({ data: request }) => {
  try {
    const pass = request.engine === 'effilens' ? await effilensPass(request) : await onnxRuntimePass(request);
    self.postMessage({ values: await timeRuns(request.warmup, request.runs, pass) });
  } catch (error) {
    self.postMessage({ error: String(error?.message || error) });
  }
};
