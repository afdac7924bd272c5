// Turning a picked or dropped folder into the list of images to evaluate, each labeled with its
// class, plus the list of files that cannot be evaluated and why. Nothing is read here: only
// names (and sizes where the browser already knows them), so a folder of any size is cheap.
//
// A folder is laid out like the trainer's data sets: <root>/<class>/.../<image>. The class of an
// image is its FIRST-level sub-folder under the root, matched exactly to the model's class names;
// deeper sub-folders belong to that class.
import { compareBytewise } from './path-order.js';

/** Extensions the classifier decodes, the same list as the trainer's; others are skipped unread. */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'jfif', 'png', 'webp', 'gif', 'bmp'];

/** Lower-case extension without the dot, or "" when the name has none. */
export function extensionOf(name) {
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? '' : name.slice(dot + 1).toLowerCase();
}

/** Why a file name cannot be an image, or null when its extension is one we decode. */
export function nonImageReason(name) {
  const extension = extensionOf(name);
  if (extension === '') return 'not an image (no file extension)';
  if (!IMAGE_EXTENSIONS.includes(extension)) return `not an image (.${extension} file)`;
  return null;
}

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
 * Returns { entries: [{ path, getFile }], unreadable: [{ path, reason }] }.
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
        reason: `cannot list folder: ${error?.message || error?.name || error}`,
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
 * Splits folder entries into labeled images and skipped files.
 * `entries`: [{ path: "root/class/.../name", file?, getFile? }]; `classes`: the model's classes.
 * Returns { rootName, images: [{ path, trueIndex, entry }], skipped: [{ path, reason }] }.
 * Every entry ends up in exactly one of the two lists.
 */
export function planEvaluation(entries, classes) {
  const images = [];
  const skipped = [];
  const rootName = entries.length > 0 ? entries[0].path.split('/')[0] : '';
  const classList = classes.join(', ');
  for (const entry of entries) {
    const parts = entry.path.split('/');
    const name = parts[parts.length - 1];
    if (parts.length < 3) {
      skipped.push({ path: entry.path, reason: 'not in a class folder (files directly in the chosen folder have no label)' });
      continue;
    }
    const trueIndex = classes.indexOf(parts[1]);
    if (trueIndex < 0) {
      skipped.push({ path: entry.path, reason: `folder "${parts[1]}" is not a class of this model (classes: ${classList})` });
      continue;
    }
    const notImage = nonImageReason(name);
    if (notImage) {
      skipped.push({ path: entry.path, reason: notImage });
      continue;
    }
    if (entry.file && entry.file.size === 0) {
      skipped.push({ path: entry.path, reason: 'empty file (0 bytes)' });
      continue;
    }
    images.push({ path: entry.path, trueIndex, entry });
  }
  // Evaluate in the order the results are reported in (predictions.txt order).
  images.sort((a, b) => compareBytewise(a.path, b.path));
  skipped.sort((a, b) => compareBytewise(a.path, b.path));
  return { rootName, images, skipped };
}
