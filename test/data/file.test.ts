import { test } from 'node:test';
import assert from 'node:assert/strict';
import { File } from '../../src/index.js';

test('a local path: filepath, url, scheme, toString', () => {
  const file = new File('data/in.txt');
  assert.equal(file.filepath, 'data/in.txt');
  assert.equal(file.url, 'data/in.txt');
  assert.equal(file.scheme, 'file');
  assert.equal(`${file}`, 'data/in.txt');
});

test('a local File keeps its full path once localPath is cleared (only remote files fall back to their name)', () => {
  const file = new File('data/in.txt');
  file.localPath = undefined;
  assert.equal(file.filepath, 'data/in.txt');
  const url = new File('file:///tmp/dir/x.txt');
  url.localPath = undefined;
  assert.equal(url.filepath, '/tmp/dir/x.txt');
  const remote = new File('https://example.org/a/b.csv');
  assert.equal(remote.filepath, 'b.csv');
});

test('file:// URLs name local files; remote schemes keep their URL', () => {
  const local = new File('file:///tmp/x%20y.txt');
  assert.equal(local.scheme, 'file');
  assert.equal(local.filepath, '/tmp/x y.txt');
  const remote = new File('https://example.org/data/set.csv');
  assert.equal(remote.scheme, 'https');
  assert.equal(remote.netloc, 'example.org');
  assert.equal(remote.path, '/data/set.csv');
  assert.equal(remote.filepath, 'set.csv', 'staged into the working directory under its name');
  for (const scheme of ['ftp', 'rsync']) assert.equal(new File(`${scheme}://host/a/b.dat`).scheme, scheme);
});

test('a File survives structured cloning and is rebuilt', () => {
  const cloned = structuredClone(new File('/tmp/a.txt'));
  assert.ok(File.isClonedFile(cloned));
  const revived = File.revive(cloned);
  assert.ok(revived instanceof File);
  assert.equal(revived.filepath, '/tmp/a.txt');
});

test('an empty path is refused', () => {
  assert.throws(() => new File(''), TypeError);
});
