// Unit tests for www/teach.js: images go to the session in batches with their classes and
// held-out flags, skips reach the sink with their reasons, steps run until the session says
// done, and Cancel stops at once while features are computed, between batches once training runs.
// The session itself (split, features, training) is Rust, tested there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTeaching } from '../../www/teach.js';

const image = (name, trueIndex) => ({ path: `t/c${trueIndex}/${name}`, trueIndex, entry: { file: { name } } });

/** A session of `epochs` epochs of two batches each; `onStep(epoch, batch)` sees each step. */
function fakeSession({ undecodable = [], epochs = 3, onStep = () => {} } = {}) {
  const state = { added: [], epochsRun: 0, batchesRun: 0, skipped: [] };
  state.add = async (files, classes, heldOut) => {
    state.added.push(...files.map((f, i) => [f.name, classes[i], heldOut[i]]));
    return files.map((f) => (undecodable.includes(f.name) ? 'cannot decode image: bad' : null));
  };
  state.step = async () => {
    if (state.epochsRun === epochs) return null;
    state.batchesRun += 1;
    const batch = 2 - (state.batchesRun % 2);
    onStep(state.epochsRun + 1, batch);
    if (batch === 1) return { batch: { epoch: state.epochsRun + 1, batch, batches: 2 } };
    state.epochsRun += 1;
    return { epoch: { epoch: state.epochsRun, train_loss: 1 / state.epochsRun } };
  };
  state.sink = {
    skipUnreadable: (path, message) => state.skipped.push([path, message]),
    skipUndecodable: (path, message) => state.skipped.push([path, message]),
  };
  return state;
}

test('every image goes to the session once, with its class and held-out flag; skips are listed', async () => {
  const images = ['a', 'b', 'c', 'd', 'e'].map((name, i) => image(name, i % 2));
  const heldOut = [0, 1, 0, 0, 1];
  const session = fakeSession({ undecodable: ['c'] });
  const progress = [];
  const epochs = [];
  const steps = [];
  const outcome = await runTeaching({ images, heldOut, add: session.add, step: session.step, sink: session.sink, batchSize: 2, onProgress: (p) => progress.push(p.done), onStep: (s) => steps.push(`${s.epoch}.${s.batch}/${s.batches}`), onEpoch: (r) => epochs.push(r.epoch) });
  assert.deepEqual(session.added, [['a', 0, 0], ['b', 1, 1], ['c', 0, 0], ['d', 1, 0], ['e', 0, 1]]);
  assert.deepEqual(session.skipped, [['t/c0/c', 'cannot decode image: bad']]);
  assert.deepEqual(outcome, { cancelled: false, trained: true, kept: [true, true, false, true, true] });
  assert.deepEqual(progress, [0, 2, 4, 5]);
  assert.deepEqual(epochs, [1, 2, 3]);
  assert.deepEqual(steps, ['1.1/2', '2.1/2', '3.1/2']);
});

test('Cancel while features are computed trains nothing; during training it stops after the batch under way', async () => {
  const images = ['a', 'b', 'c', 'd'].map((name, i) => image(name, i % 2));
  const early = new AbortController();
  const first = fakeSession();
  const add = async (...args) => {
    early.abort();
    return first.add(...args);
  };
  const stopped = await runTeaching({ images, heldOut: [0, 0, 1, 1], add, step: first.step, sink: first.sink, batchSize: 2, signal: early.signal });
  assert.equal(stopped.cancelled, true);
  assert.equal(stopped.trained, false);
  assert.equal(first.epochsRun, 0);

  const late = new AbortController();
  const second = fakeSession({ epochs: 100, onStep: (epoch, batch) => epoch === 3 && batch === 1 && late.abort() });
  const kept = await runTeaching({ images, heldOut: [0, 0, 1, 1], add: second.add, step: second.step, sink: second.sink, signal: late.signal });
  // Two epochs ran; the third's first batch was under way when Cancel came, and nothing after it.
  assert.deepEqual([kept.cancelled, kept.trained, second.epochsRun, second.batchesRun], [true, true, 2, 5]);

  const beforeAnyEpoch = new AbortController();
  const third = fakeSession({ onStep: () => beforeAnyEpoch.abort() });
  const none = await runTeaching({ images, heldOut: [0, 0, 1, 1], add: third.add, step: third.step, sink: third.sink, signal: beforeAnyEpoch.signal });
  assert.deepEqual([none.cancelled, none.trained, third.batchesRun], [true, false, 1]);
});
