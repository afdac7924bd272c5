// Listing a picked or dropped folder: paths and File handles, nothing read. Which file is an
// image of which class, and why the others are skipped, the evaluation core decides
// (planEvaluation below), as it does for `trainer eval`.

/**
 * Files from `<input type=file webkitdirectory>`. Each webkitRelativePath starts with the picked
 * folder's own name: "val/logo/13.jpeg".
 * Returns [{ path, file }].
 */
export function entriesFromFileList(fileList) {
  return Array.from(fileList, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** Promise wrapper for FileSystemDirectoryReader.readEntries (callback API). */
function readEntryBatch(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

/**
 * Files under a dropped directory (DataTransferItem.webkitGetAsEntry()), read recursively.
 * Paths are made like webkitRelativePath ("val/logo/13.jpeg") from the entries' fullPath
 * ("/val/logo/13.jpeg"). File objects are fetched later, batch by batch (`getFile`).
 * Sub-folders that cannot be listed are reported in `unreadable`, not dropped silently.
 * Returns { entries: [{ path, getFile }], unreadable: [{ path, message }] }.
 */
export async function entriesFromDirectoryEntry(directoryEntry) {
  const entries = [];
  const unreadable = [];
  const pending = [directoryEntry];
  while (pending.length > 0) {
    const directory = pending.pop();
    const reader = directory.createReader();
    try {
      // readEntries returns the listing in chunks (100 at a time in Chromium) until an empty one.
      for (;;) {
        const batch = await readEntryBatch(reader);
        if (batch.length === 0) break;
        for (const entry of batch) {
          if (entry.isDirectory) {
            pending.push(entry);
          } else {
            entries.push({
              path: entry.fullPath.replace(/^\/+/, ''),
              getFile: () => new Promise((resolve, reject) => entry.file(resolve, reject)),
            });
          }
        }
      }
    } catch (error) {
      unreadable.push({
        path: directory.fullPath.replace(/^\/+/, '') + '/',
        message: String(error?.message || error?.name || error),
      });
    }
  }
  return { entries, unreadable };
}

/** The File of an entry from either source. */
export function fileOfEntry(entry) {
  return entry.file ? Promise.resolve(entry.file) : entry.getFile();
}

/**
 * Labels folder entries through the evaluation core (`core.planFolder`, Rust): which are images
 * of which class, in report order, and which are skipped and why.
 * `entries`: [{ path: "root/class/.../name", file?, getFile? }]; `classes`: the model's classes.
 * Returns { plan, images: [{ path, trueIndex, entry }] }; the plan holds the skipped files.
 */
export function planEvaluation(core, entries, classes) {
  return imagesOfPlan(core.planFolder(...pathsAndSizes(entries), classes), entries);
}

/**
 * Labels a folder to teach from (`core.planTeaching`): its classes are its first-level folders.
 * Returns { plan, images } as planEvaluation does.
 */
export function planTeaching(core, entries) {
  return imagesOfPlan(core.planTeaching(...pathsAndSizes(entries)), entries);
}

function pathsAndSizes(entries) {
  return [entries.map((entry) => entry.path), entries.map((entry) => entry.file?.size ?? -1)];
}

function imagesOfPlan(plan, entries) {
  const indices = plan.imageIndices();
  const trueIndices = plan.imageClasses();
  const paths = plan.imagePaths();
  const images = Array.from(indices, (index, i) => ({ path: paths[i], trueIndex: trueIndices[i], entry: entries[index] }));
  return { plan, images };
}
