import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, bashApp, File, StagingError } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const countLines = app(async function countLines(log: string, kw: { inputs: File[] }) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, 'ran\n');
  return fs.readFileSync(kw.inputs[0]!.filepath, 'utf8').split('\n').length;
});
const catFile = bashApp((file: File) => `cat ${file}`);
const produce = bashApp((kw: { outputs: File[] }) => `echo x > ${kw.outputs[0]}`);

test('a remote File no staging provider handles fails its task with an error naming the URL; the app never runs', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    const url = 'https://example.org/data/set.csv';
    await assert.rejects(countLines(log, { inputs: [new File(url)] }), (error: unknown) => {
      assert.ok(error instanceof StagingError, String(error));
      assert.equal(error.url, url);
      assert.equal(error.scheme, 'https');
      assert.match(error.message, /https:\/\/example\.org\/data\/set\.csv/);
      assert.match(error.message, /countLines/);
      return true;
    });
    assert.equal(existsSync(log), false, 'the app did not run on a path that does not exist');
    await assert.rejects(catFile(new File('ftp://host/pub/a.dat')), /ftp:\/\/host\/pub\/a\.dat/);
    await assert.rejects(produce({ outputs: [new File('rsync://host/out.txt')] }), StagingError);
    // Local paths and file:// URLs need no staging.
    const local = join(dir, 'local.txt');
    writeFileSync(local, 'a\nb\n');
    assert.equal(await catFile(new File(`file://${local}`)), 0);
    assert.equal(await countLines(log, { inputs: [new File(local)] }), 3);
  });
});
