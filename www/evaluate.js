// Streams a folder's images through the classifier in small batches: get the batch's File
// handles, send them, await the probabilities, then the next batch. Only one batch is ever in
// flight, so memory stays bounded whatever the folder size (the worker reads the bytes of at
// most one batch at a time). No DOM here: tests/page/evaluate.test.mjs drives it with fakes.
import { fileOfEntry } from './folder.js';
import { throughput } from './metrics.js';

export const BATCH_SIZE = 8;

/**
 * @param images      [{ path, trueIndex, entry }] from planEvaluation()
 * @param classifyBatch (files: File[]) => Promise<(Float32Array | string)[]>, one result per
 *                    file: probabilities, or the reason it could not be classified
 * @param signal      AbortSignal; cancelling stops after the batch in flight
 * @param onProgress  ({ done, total, skipped, perSecond, etaSeconds }) after every batch
 * @returns { records: [{ path, trueIndex, probabilities, entry }], skipped: [{ path, reason }],
 *            cancelled, error } where error is the message that stopped the run, or null.
 */
export async function runEvaluation({
  images,
  classifyBatch,
  signal,
  onProgress = () => {},
  batchSize = BATCH_SIZE,
  now = () => performance.now(),
}) {
  const records = [];
  const skipped = [];
  const started = now();
  let done = 0;
  const report = () => onProgress({ done, total: images.length, skipped: skipped.length, ...throughput(done, images.length, now() - started) });
  report();

  for (let start = 0; start < images.length; start += batchSize) {
    if (signal?.aborted) return { records, skipped, cancelled: true, error: null };
    const batch = images.slice(start, start + batchSize);

    const sendable = [];
    for (const image of batch) {
      try {
        const file = await fileOfEntry(image.entry);
        if (file.size === 0) skipped.push({ path: image.path, reason: 'empty file (0 bytes)' });
        else sendable.push({ image, file });
      } catch (error) {
        skipped.push({ path: image.path, reason: `cannot read file: ${error?.message || error?.name || error}` });
      }
    }

    if (sendable.length > 0) {
      let results;
      try {
        results = await classifyBatch(sendable.map((s) => s.file));
      } catch (error) {
        done += batch.length;
        report();
        return { records, skipped, cancelled: false, error: error?.message || String(error) };
      }
      sendable.forEach(({ image }, i) => {
        const result = results[i];
        if (typeof result === 'string') skipped.push({ path: image.path, reason: result });
        else records.push({ path: image.path, trueIndex: image.trueIndex, probabilities: result, entry: image.entry });
      });
    }
    done += batch.length;
    report();
  }
  return { records, skipped, cancelled: false, error: null };
}
