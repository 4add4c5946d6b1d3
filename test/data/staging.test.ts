import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, bashApp, File, StagingError, ThreadPoolExecutor, NoOpFileStaging, ConfigurationError } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const countLines = app(async function countLines(log: string, kw: { inputs: File[] }) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, 'ran\n');
  return fs.readFileSync(kw.inputs[0]!.filepath, 'utf8').split('\n').length;
});
const catFile = bashApp((file: File) => `cat ${file}`);
const produce = bashApp((kw: { outputs: File[] }) => `echo x > ${kw.outputs[0]}`);

test('a File no staging provider of the executor handles fails its task with StagingError naming the URL; the app never runs', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    const url = 's3://bucket/data/set.csv';
    await assert.rejects(countLines(log, { inputs: [new File(url)] }), (error: unknown) => {
      assert.ok(error instanceof StagingError, String(error));
      assert.equal(error.url, url);
      assert.equal(error.scheme, 's3');
      assert.match(error.message, /s3:\/\/bucket\/data\/set\.csv/);
      assert.match(error.message, /countLines/);
      return true;
    });
    assert.equal(existsSync(log), false, 'the app did not run on a path that does not exist');
    // The default providers stage http(s) and ftp, not rsync: that needs RSyncStaging.
    await assert.rejects(produce({ outputs: [new File('rsync://host/out.txt')] }), /rsync:\/\/host\/out\.txt.*no staging provider/);
    // Local paths and file:// URLs need no staging.
    const local = join(dir, 'local.txt');
    writeFileSync(local, 'a\nb\n');
    assert.equal(await catFile(new File(`file://${local}`)), 0);
    assert.equal(await countLines(log, { inputs: [new File(local)] }), 3);
  }, { executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })] });
});

test('storageAccess must be a list of staging providers', () => {
  assert.throws(() => new ThreadPoolExecutor({ storageAccess: [{} as never] }), ConfigurationError);
  assert.deepEqual(new ThreadPoolExecutor({ storageAccess: [new NoOpFileStaging()] }).storageAccess.length, 1);
  assert.equal(new ThreadPoolExecutor().storageAccess.length, 3, 'NoOp, HTTP and FTP by default');
});
