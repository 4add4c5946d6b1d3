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

test('rsync, host:path and zip Files; a malformed URL is an error naming it at new File()', () => {
  const ssh = new File('user@example.org:data/in.txt');
  assert.equal(ssh.scheme, 'rsync');
  assert.equal(ssh.netloc, 'user@example.org');
  assert.equal(ssh.path, 'data/in.txt');
  assert.equal(ssh.filepath, 'in.txt');
  const host = new File('node1:/srv/x.csv');
  assert.equal(host.scheme, 'rsync');
  assert.equal(host.netloc, 'node1');
  assert.equal(`${host}`, 'x.csv');
  const zip = new File('zip:/tmp/a/archive.zip/inside/m.txt');
  assert.equal(zip.scheme, 'zip');
  assert.equal(zip.path, '/tmp/a/archive.zip/inside/m.txt');
  assert.equal(zip.filename, 'm.txt');
  assert.equal(new File('plain:name.txt').scheme, 'file', 'a colon alone does not make a host');
  for (const bad of ['http://', 'https://exa mple.org/a', 'rsync:///no-host/a.txt', 'http:/x/y.txt', 'zip:/tmp/no-member.zip', 'https://example.org/']) {
    assert.throws(() => new File(bad), (error: unknown) => error instanceof TypeError && error.message.includes(`'${bad}'`), bad);
  }
});
