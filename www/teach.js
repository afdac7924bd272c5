// Teach's run, from labeled images to trained epochs: the images go to the worker's session in
// small batches (their features, or the images at the input size, stay there), then training
// steps are asked for one batch at a time, so that Cancel is answered between any two. No DOM and no arithmetic: the session (Rust) splits,
// trains and measures; tests/page/teach-run.test.mjs drives this with fakes.
import { fileOfEntry } from './folder.js';
import { progressReporter } from './evaluate.js';

export const BATCH_SIZE = 8;

/**
 * @param images   [{ path, trueIndex, entry }] in the order the core planned
 * @param heldOut  per image, 1 if it is held out for validation
 * @param add      (files, classes, heldOut, signal) => Promise<(null | string | { unreadable })[]>
 * @param step     () => Promise<{ batch: { epoch, batch, batches } } | { epoch: TeachEpoch } | null>:
 *                 the next batch stepped, or an epoch finished; null once all have run
 * @param sink     { skipUnreadable(path, message), skipUndecodable(path, message) }
 * @param signal   AbortSignal: while images are added it stops at once (nothing is trained);
 *                 during training the batch under way finishes and the best epoch so far is kept
 * @returns { cancelled, trained, kept } where kept[i] says whether image i has features.
 */
export async function runTeaching({ images, heldOut, add, step, sink, signal, onProgress = () => {}, onStep = () => {}, onEpoch = () => {}, batchSize = BATCH_SIZE, now = () => performance.now() }) {
  const kept = new Array(images.length).fill(false);
  let done = 0;
  let skipped = 0;
  const progress = progressReporter(images.length, onProgress, now);
  const report = () => progress(done, skipped);
  report();
  for (let start = 0; start < images.length; start += batchSize) {
    if (signal?.aborted) return { cancelled: true, trained: false, kept };
    const batch = [];
    for (let i = start; i < Math.min(start + batchSize, images.length); i++) {
      try {
        batch.push({ index: i, file: await fileOfEntry(images[i].entry) });
      } catch (error) {
        sink.skipUnreadable(images[i].path, error?.message || error?.name || String(error));
        skipped += 1;
      }
    }
    if (batch.length > 0) {
      let results;
      try {
        results = await add(batch.map((b) => b.file), batch.map((b) => images[b.index].trueIndex), batch.map((b) => heldOut[b.index]), signal);
      } catch (error) {
        if (signal?.aborted) return { cancelled: true, trained: false, kept };
        throw error;
      }
      batch.forEach(({ index }, k) => {
        const result = results[k];
        if (result === null) kept[index] = true;
        else {
          if (typeof result === 'string') sink.skipUndecodable(images[index].path, result);
          else sink.skipUnreadable(images[index].path, result.unreadable);
          skipped += 1;
        }
      });
    }
    done = Math.min(start + batchSize, images.length);
    report();
  }
  let trained = false;
  for (;;) {
    if (signal?.aborted) return { cancelled: true, trained, kept };
    const stepped = await step();
    if (stepped === null) return { cancelled: false, trained, kept };
    if (stepped.epoch) {
      trained = true;
      onEpoch(stepped.epoch);
    } else onStep(stepped.batch);
  }
}
