// Unit tests for www/evaluate.js: batches, one in flight, progress, skips, cancel, errors. The
// sink stands in for the evaluation core's Evaluation, which words and counts (tested in Rust).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEvaluation } from '../../www/evaluate.js';

const image = (name, trueIndex = 0, size = 10) => ({ path: `v/c/${name}`, trueIndex, entry: { file: { name, size } } });

/** Records what runEvaluation hands the evaluation core. */
function fakeSink() {
  const sink = { records: [], skipped: [] };
  sink.add = (path, trueIndex, probabilities) => sink.records.push({ path, trueIndex, probabilities });
  sink.skipUnreadable = (path, message) => sink.skipped.push({ path, unreadable: message });
  sink.skipUndecodable = (path, message) => sink.skipped.push({ path, undecodable: message });
  return sink;
}

function fakeClassifier({ failOn = [], throwOnCall = null } = {}) {
  const state = { calls: [], inFlight: 0, maxInFlight: 0 };
  state.classifyBatch = async (files) => {
    state.calls.push(files.map((f) => f.name));
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    state.inFlight -= 1;
    if (state.calls.length === throwOnCall) throw new Error('device lost');
    return files.map((f) => (failOn.includes(f.name) ? 'cannot decode image: bad' : Float32Array.of(0.75, 0.25)));
  };
  return state;
}

test('streams batches, one at a time, and reports progress', async () => {
  const images = Array.from({ length: 19 }, (_, i) => image(`${i}.jpeg`, i % 2));
  const classifier = fakeClassifier({ failOn: ['3.jpeg'] });
  const progress = [];
  let clock = 0;
  const sink = fakeSink();
  const result = await runEvaluation({
    images,
    classifyBatch: classifier.classifyBatch,
    sink,
    batchSize: 8,
    onProgress: (p) => progress.push(p),
    now: () => (clock += 100),
  });
  assert.deepEqual(classifier.calls.map((c) => c.length), [8, 8, 3]);
  assert.equal(classifier.maxInFlight, 1);
  assert.equal(sink.records.length, 18);
  assert.deepEqual(sink.skipped, [{ path: 'v/c/3.jpeg', undecodable: 'cannot decode image: bad' }]);
  assert.equal(result.cancelled, false);
  assert.equal(result.error, null);
  assert.deepEqual(progress.map((p) => p.done), [0, 8, 16, 19]);
  assert.ok(progress.at(-1).perSecond > 0);
  assert.equal(progress.at(-1).etaSeconds, 0);
  assert.deepEqual(Array.from(sink.records[1].probabilities), [0.75, 0.25]);
  assert.equal(sink.records[1].trueIndex, 1);
  assert.equal(progress.at(-1).skipped, 1);
});

test('files that cannot be read are skipped with the browser\'s message, not sent', async () => {
  const unreadable = { path: 'v/c/gone.jpeg', trueIndex: 0, entry: { getFile: () => Promise.reject(new Error('NotFoundError')) } };
  const classifier = fakeClassifier();
  const sink = fakeSink();
  await runEvaluation({ images: [image('ok.jpeg'), unreadable], classifyBatch: classifier.classifyBatch, sink });
  assert.deepEqual(classifier.calls, [['ok.jpeg']]);
  assert.deepEqual(sink.skipped, [{ path: 'v/c/gone.jpeg', unreadable: 'NotFoundError' }]);
});

test('cancel stops after the batch in flight and keeps what was done', async () => {
  const controller = new AbortController();
  const classifier = fakeClassifier();
  const images = Array.from({ length: 30 }, (_, i) => image(`${i}.jpeg`));
  const sink = fakeSink();
  const result = await runEvaluation({
    images,
    sink,
    classifyBatch: async (files) => {
      const out = await classifier.classifyBatch(files);
      if (classifier.calls.length === 2) controller.abort();
      return out;
    },
    signal: controller.signal,
    batchSize: 8,
  });
  assert.equal(result.cancelled, true);
  assert.equal(sink.records.length, 16);
});

test('a batch that fails as a whole is retried image by image; only the image that fails alone is skipped', async () => {
  let calls = 0;
  const classifyBatch = async (files) => {
    calls += 1;
    if (files.some((f) => f.name === 'crash.jpeg')) throw new Error('the classifier crashed');
    return files.map(() => Float32Array.of(0.75, 0.25));
  };
  const images = ['a.jpeg', 'crash.jpeg', 'b.jpeg'].map((name) => image(name));
  const sink = fakeSink();
  const result = await runEvaluation({ images, classifyBatch, sink, batchSize: 8 });
  assert.equal(result.error, null);
  assert.deepEqual(sink.records.map((r) => r.path), ['v/c/a.jpeg', 'v/c/b.jpeg']);
  assert.equal(sink.skipped.length, 1);
  assert.match(sink.skipped[0].undecodable, /failed on this image alone \(the classifier crashed\)/);
  assert.equal(calls, 4, 'the batch, then each image alone');
});

test('when every image fails alone too, the run stops with the error', async () => {
  const classifier = fakeClassifier({ throwOnCall: 2 });
  const failing = async (files) => {
    if (classifier.calls.length >= 1) {
      classifier.calls.push(files.map((f) => f.name));
      throw new Error('device lost');
    }
    return classifier.classifyBatch(files);
  };
  const images = Array.from({ length: 20 }, (_, i) => image(`${i}.jpeg`));
  const sink = fakeSink();
  const result = await runEvaluation({ images, classifyBatch: failing, sink, batchSize: 8 });
  assert.equal(result.error, 'device lost');
  assert.equal(sink.records.length, 8);
});

test('unreadable files are skipped with the browser\'s words; cancelling mid-batch returns at once', async () => {
  const controller = new AbortController();
  const sink = fakeSink();
  const first = await runEvaluation({
    images: [image('gone.jpeg'), image('ok.jpeg')],
    classifyBatch: async () => [{ unreadable: 'NotReadableError' }, Float32Array.of(0.5, 0.5)],
    sink,
  });
  assert.equal(first.error, null);
  assert.deepEqual(sink.skipped, [{ path: 'v/c/gone.jpeg', unreadable: 'NotReadableError' }]);
  // A batch that would never finish: the abort rejects it, and the run says cancelled.
  const hanging = (files, signal) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true }));
  setTimeout(() => controller.abort(), 20);
  const second = await runEvaluation({ images: [image('x.jpeg')], classifyBatch: hanging, sink: fakeSink(), signal: controller.signal });
  assert.deepEqual(second, { cancelled: true, error: null });
});
