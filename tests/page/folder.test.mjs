// Unit tests for www/folder.js: labels from first-level sub-folders, skip reasons, and walking a
// dropped directory (fake FileSystem entries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  entriesFromDirectoryEntry,
  entriesFromFileList,
  extensionOf,
  fileOfEntry,
  nonImageReason,
  planEvaluation,
} from '../../www/folder.js';

const file = (size = 10) => ({ size });
const entry = (path, size) => ({ path, file: file(size) });

test('extensions', () => {
  assert.equal(extensionOf('a.JPEG'), 'jpeg');
  assert.equal(extensionOf('archive.tar.gz'), 'gz');
  assert.equal(extensionOf('README'), '');
  assert.equal(extensionOf('.hidden'), '');
  assert.equal(extensionOf('trailing.'), '');
  assert.equal(nonImageReason('x.webp'), null);
  assert.equal(nonImageReason('x.txt'), 'not an image (.txt file)');
  assert.equal(nonImageReason('README'), 'not an image (no file extension)');
});

test('the class is the first-level sub-folder; everything else is skipped with a reason', () => {
  const plan = planEvaluation(
    [
      entry('val/logo/1.jpeg'),
      entry('val/others/2.png'),
      entry('val/logo/nested/deeper/3.jpg'),
      entry('val/top.jpeg'),
      entry('val/cats/4.jpeg'),
      entry('val/logo/notes.txt'),
      entry('val/others/empty.jpeg', 0),
      entry('val/Logo/5.jpeg'),
    ],
    ['logo', 'others'],
  );
  assert.equal(plan.rootName, 'val');
  assert.deepEqual(
    plan.images.map((i) => [i.path, i.trueIndex]),
    [
      ['val/logo/1.jpeg', 0],
      ['val/logo/nested/deeper/3.jpg', 0],
      ['val/others/2.png', 1],
    ],
  );
  const reasons = Object.fromEntries(plan.skipped.map((s) => [s.path, s.reason]));
  assert.match(reasons['val/top.jpeg'], /not in a class folder/);
  assert.match(reasons['val/cats/4.jpeg'], /folder "cats" is not a class of this model \(classes: logo, others\)/);
  assert.match(reasons['val/logo/notes.txt'], /not an image/);
  assert.match(reasons['val/others/empty.jpeg'], /empty file/);
  assert.match(reasons['val/Logo/5.jpeg'], /not a class/, 'class names match exactly');
  assert.equal(plan.images.length + plan.skipped.length, 8, 'nothing is dropped silently');
});

test('images are planned in bytewise path order', () => {
  const plan = planEvaluation([entry('v/a/b.png'), entry('v/a/B.png'), entry('v/a/a-1.png')], ['a']);
  assert.deepEqual(plan.images.map((i) => i.path), ['v/a/B.png', 'v/a/a-1.png', 'v/a/b.png']);
});

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
  assert.deepEqual(unreadable, [{ path: 'val/locked/', reason: 'cannot list folder: permission denied' }]);
  const first = entries.find((e) => e.path === 'val/logo/1.jpeg');
  assert.equal(await fileOfEntry(first), one, 'the File is fetched on demand');
});
