// Unit tests for www/folder.js: listing a picked folder and walking a dropped directory (fake
// FileSystem entries). Labeling and skip reasons are the evaluation core's, tested in Rust
// (evaluation/src/labeling.rs) and through the page (evaluate-messy.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entriesFromDirectoryEntry, entriesFromFileList, fileOfEntry } from '../../www/folder.js';

const file = (size = 10) => ({ size });

test('picked folders use webkitRelativePath', () => {
  const files = [{ name: '1.jpeg', webkitRelativePath: 'val/logo/1.jpeg', size: 3 }];
  assert.deepEqual(entriesFromFileList(files), [{ path: 'val/logo/1.jpeg', file: files[0] }]);
});

/** A fake FileSystemDirectoryEntry tree: { name: File-like | subtree }. */
function fakeDirectory(fullPath, tree, { failing = [] } = {}) {
  return {
    isDirectory: true,
    fullPath,
    name: fullPath.split('/').pop(),
    createReader() {
      const children = Object.entries(tree).map(([name, value]) =>
        value && value.size === undefined
          ? fakeDirectory(`${fullPath}/${name}`, value, { failing })
          : { isDirectory: false, fullPath: `${fullPath}/${name}`, name, file: (ok) => ok(value) },
      );
      // Chromium hands out entries in chunks until an empty one; mimic with chunks of 2.
      let offset = 0;
      return {
        readEntries(ok, fail) {
          if (failing.includes(fullPath)) return fail(new Error('permission denied'));
          const chunk = children.slice(offset, offset + 2);
          offset += chunk.length;
          setTimeout(() => ok(chunk), 0);
        },
      };
    },
  };
}

test('a dropped directory is walked recursively, in chunks, with paths like webkitRelativePath', async () => {
  const one = file(1);
  const root = fakeDirectory('/val', {
    logo: { '1.jpeg': one, '2.jpeg': file(), '3.jpeg': file(), deep: { '4.jpeg': file() } },
    others: { 'x.png': file() },
    locked: {},
    'top.jpeg': file(),
  }, { failing: ['/val/locked'] });
  const { entries, unreadable } = await entriesFromDirectoryEntry(root);
  assert.deepEqual(
    entries.map((e) => e.path).sort(),
    ['val/logo/1.jpeg', 'val/logo/2.jpeg', 'val/logo/3.jpeg', 'val/logo/deep/4.jpeg', 'val/others/x.png', 'val/top.jpeg'],
  );
  assert.deepEqual(unreadable, [{ path: 'val/locked/', message: 'permission denied' }]);
  const first = entries.find((e) => e.path === 'val/logo/1.jpeg');
  assert.equal(await fileOfEntry(first), one, 'the File is fetched on demand');
});
