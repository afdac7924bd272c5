// Streams a folder's images through the classifier in small batches: get the batch's File
// handles, send them, await the probabilities, then the next batch. Only one batch is ever in
// flight, so memory stays bounded whatever the folder size (the worker reads the bytes of at
// most one batch at a time). No DOM and no arithmetic here: each outcome goes to `sink` (the
// evaluation core's Evaluation), and tests/page/evaluate.test.mjs drives it with fakes.
import { fileOfEntry } from './folder.js';

export const BATCH_SIZE = 8;

/**
 * A run's progress reports: `report(done, skipped)` calls `onProgress` with { done, total,
 * skipped, perSecond, etaSeconds }, the rate measured from this call on.
 */
export function progressReporter(total, onProgress, now) {
  const started = now();
  return (done, skipped) => onProgress({ done, total, skipped, ...throughput(done, total, now() - started) });
}

/** Images per second and seconds left, from progress so far; null where not yet meaningful. */
export function throughput(done, total, elapsedMs) {
  if (done === 0 || elapsedMs <= 0) return { perSecond: null, etaSeconds: null };
  const perSecond = (done * 1000) / elapsedMs;
  return { perSecond, etaSeconds: (total - done) / perSecond };
}

/**
 * @param images      [{ path, trueIndex, entry }] in the order the core planned
 * @param classifyBatch (files: File[], signal) => Promise<(Float32Array | string | { unreadable })[]>,
 *                    one result per file: probabilities, the decoder's reason it could not be
 *                    classified, or the browser's reason it could not be read. Aborting `signal`
 *                    rejects it at once.
 * @param sink        { add(path, trueIndex, probabilities), skipUnreadable(path, message),
 *                    skipUndecodable(path, message) }
 * @param signal      AbortSignal; cancelling stops at once, the batch in flight included
 * @param onProgress  ({ done, total, skipped, perSecond, etaSeconds }) after every batch
 * @returns { cancelled, error } where error is the message that stopped the run, or null.
 */
export async function runEvaluation({
  images,
  classifyBatch,
  sink,
  signal,
  onProgress = () => {},
  batchSize = BATCH_SIZE,
  now = () => performance.now(),
}) {
  let done = 0;
  let skipped = 0;
  const progress = progressReporter(images.length, onProgress, now);
  const report = () => progress(done, skipped);
  report();

  for (let start = 0; start < images.length; start += batchSize) {
    if (signal?.aborted) return { cancelled: true, error: null };
    const batch = images.slice(start, start + batchSize);

    const sendable = [];
    for (const image of batch) {
      try {
        sendable.push({ image, file: await fileOfEntry(image.entry) });
      } catch (error) {
        sink.skipUnreadable(image.path, error?.message || error?.name || String(error));
        skipped += 1;
      }
    }

    if (sendable.length > 0) {
      let results;
      try {
        results = await classifyBatch(sendable.map((s) => s.file), signal);
      } catch (error) {
        if (signal?.aborted) return { cancelled: true, error: null };
        // The batch failed as a whole (the classifier crashed or hung, and was restarted): its
        // images one at a time, so that only an image that fails on its own is skipped.
        results = [];
        for (const { file } of sendable) {
          try {
            results.push((await classifyBatch([file], signal))[0]);
          } catch (alone) {
            if (signal?.aborted) return { cancelled: true, error: null };
            results.push({ failed: alone?.message || String(alone) });
          }
        }
        if (results.every((result) => result.failed !== undefined)) {
          done += batch.length;
          report();
          return { cancelled: false, error: error?.message || String(error) };
        }
      }
      sendable.forEach(({ image }, i) => {
        const result = results[i];
        if (typeof result === 'string') {
          sink.skipUndecodable(image.path, result);
          skipped += 1;
        } else if (result.unreadable !== undefined) {
          sink.skipUnreadable(image.path, result.unreadable);
          skipped += 1;
        } else if (result.failed !== undefined) {
          sink.skipUndecodable(image.path, `the classifier failed on this image alone (${result.failed}); it was restarted`);
          skipped += 1;
        } else {
          sink.add(image.path, image.trueIndex, result);
        }
      });
    }
    done += batch.length;
    report();
  }
  return { cancelled: false, error: null };
}
