import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  app, load, ThreadPoolExecutor, ConfigurationError, getAllCheckpoints, getLastCheckpoint,
  type Config, type DataFlowKernel,
} from '../../src/index.js';
import { encodeRecord, readCheckpoint, CHECKPOINT_FILE } from '../../src/dataflow/checkpoint.js';
import { Logger } from '../../src/util/logger.js';
import { tempDir } from '../helpers.js';

const costly = app(async function costly(log: string, x: number) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, `${x}\n`);
  return { x, rich: new Map([['at', new Date(x)]]), big: BigInt(x) * 10n };
}, { cache: true });
const failing = app(async function failing(log: string) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, 'ran\n');
  throw new RangeError('no');
}, { cache: true });
const plain = app(function plain(x: number) { return x; });

const runs = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);

async function run<T>(dir: string, overrides: Partial<Config>, body: (dfk: DataFlowKernel) => Promise<T>): Promise<T> {
  const dfk = await load({ executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'), ...overrides });
  try {
    return await body(dfk);
  } finally {
    await dfk.cleanup();
  }
}

test("task_exit: each result is in the checkpoint file before its future resolves; failures and uncached apps are not", async () => {
  const dir = tempDir();
  try {
    const log = join(dir, 'log');
    await run(dir, { checkpointMode: 'task_exit' }, async (dfk) => {
      const file = join(dfk.runDir, 'checkpoint', CHECKPOINT_FILE);
      const seen: number[] = [];
      await Promise.all([1, 2, 3].map((x) => costly(log, x).then(() => { seen.push(readCheckpoint(file).length); })));
      assert.deepEqual(seen, [1, 2, 3]);
      await assert.rejects(failing(log));
      await plain(1);
      assert.equal(readCheckpoint(file).length, 3);
      assert.equal(dfk.checkpoint(), join(dfk.runDir, 'checkpoint'));
    });
    assert.equal(runs(log), 4);
    // A new run given that checkpoint reuses every result, values intact.
    await run(dir, { checkpointFiles: getLastCheckpoint(join(dir, 'runinfo')) }, async () => {
      const value = await costly(log, 2);
      assert.equal(value.x, 2);
      assert.ok(value.rich instanceof Map);
      assert.equal((value.rich.get('at') as Date).getTime(), 2);
      assert.equal(value.big, 20n);
      await costly(log, 1);
      await costly(log, 3);
      await assert.rejects(failing(log), /no/, 'failures were never checkpointed: it runs again');
    });
    assert.equal(runs(log), 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dfk_exit writes at cleanup; manual writes on dfk.checkpoint() (and at cleanup)', async () => {
  const dir = tempDir();
  try {
    const log = join(dir, 'log');
    let file = '';
    await run(dir, { checkpointMode: 'dfk_exit' }, async (dfk) => {
      file = join(dfk.runDir, 'checkpoint', CHECKPOINT_FILE);
      await Promise.all([costly(log, 1), costly(log, 2)]);
      assert.equal(existsSync(file), false);
    });
    assert.equal(readCheckpoint(file).length, 2);
    await run(dir, { checkpointMode: 'manual' }, async (dfk) => {
      file = join(dfk.runDir, 'checkpoint', CHECKPOINT_FILE);
      await costly(log, 10);
      assert.equal(existsSync(file), false);
      assert.equal(dfk.checkpoint(), join(dfk.runDir, 'checkpoint'));
      assert.equal(readCheckpoint(file).length, 1);
      await costly(log, 11);
      dfk.checkpoint();
      dfk.checkpoint();
      assert.equal(readCheckpoint(file).length, 2, 'each result is written once');
      await costly(log, 12);
    });
    assert.equal(readCheckpoint(file).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('periodic writes every checkpointPeriod seconds', async () => {
  const dir = tempDir();
  try {
    await run(dir, { checkpointMode: 'periodic', checkpointPeriod: 0.2 }, async (dfk) => {
      const file = join(dfk.runDir, 'checkpoint', CHECKPOINT_FILE);
      await costly(join(dir, 'log'), 1);
      assert.equal(existsSync(file), false);
      await new Promise((resolve) => setTimeout(resolve, 450));
      assert.equal(readCheckpoint(file).length, 1);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated last record is skipped with a warning in parsl.log; nothing else is lost', async () => {
  const dir = tempDir();
  try {
    const log = join(dir, 'log');
    let file = '';
    await run(dir, { checkpointMode: 'task_exit' }, async (dfk) => {
      file = join(dfk.runDir, 'checkpoint', CHECKPOINT_FILE);
      for (const x of [1, 2, 3, 4]) await costly(log, x);
    });
    truncateSync(file, statSync(file).size - 5); // the driver died inside the last write
    assert.equal(readCheckpoint(file).length, 3);
    await run(dir, { checkpointFiles: [file] }, async (dfk) => {
      for (const x of [1, 2, 3, 4]) await costly(log, x);
      await dfk.cleanup();
      const text = readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8');
      assert.match(text, /WARNING checkpoint .*tasks\.ckpt: last record is truncated .*skipped/);
    });
    assert.equal(runs(log), 5, 'only the torn result ran again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt record inside the file is skipped and the records after it are kept', async () => {
  const dir = tempDir();
  try {
    let file = '';
    await run(dir, { checkpointMode: 'task_exit' }, async (dfk) => {
      file = join(dfk.runDir, 'checkpoint', CHECKPOINT_FILE);
      for (const x of [1, 2, 3]) await costly(join(dir, 'log'), x);
    });
    const bytes = readFileSync(file);
    const firstLength = bytes.readUInt32BE(0);
    bytes[8 + Math.floor(firstLength / 2)]! ^= 0xff;
    writeFileSync(file, bytes);
    assert.deepEqual(readCheckpoint(file).map((r) => (r.value as { x: number }).x), [2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the reader resynchronises past a torn record in the middle of the file: every later record is read', () => {
  const dir = tempDir();
  try {
    const record = (x: number, size = 10) => encodeRecord({ key: `k${x}`, value: { x, pad: 'p'.repeat(size) }, taskId: x, app: 'costly', time: 0 });
    const torn = record(2, 5000);
    const file = join(dir, CHECKPOINT_FILE);
    // A write that failed part-way (disk full), then later writes appended after it.
    writeFileSync(file, Buffer.concat([record(1), torn.subarray(0, 3000), record(3), record(4, 9000), record(5)]));
    const logger = new Logger(join(dir, 'parsl.log'));
    assert.deepEqual(readCheckpoint(file, logger).map((r) => r.taskId), [1, 3, 4, 5]);
    logger.flushSync();
    assert.match(readFileSync(join(dir, 'parsl.log'), 'utf8'), /WARNING checkpoint .*: record at offset \d+ is torn or corrupt: skipped 3000 bytes/);
    // Torn right at the start, and a torn header (fewer than 8 bytes) in the middle.
    writeFileSync(file, Buffer.concat([torn.subarray(0, 6), record(6), torn.subarray(0, 4000), record(7)]));
    assert.deepEqual(readCheckpoint(file).map((r) => r.taskId), [6, 7]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the directory dfk.checkpoint() returns can be named in checkpointFiles even when the run wrote no result', async () => {
  const dir = tempDir();
  try {
    let checkpointDir: string | undefined;
    await run(dir, { checkpointMode: 'task_exit' }, async (dfk) => {
      await plain(1);
      checkpointDir = dfk.checkpoint();
    });
    assert.ok(checkpointDir !== undefined && existsSync(checkpointDir));
    await run(dir, { checkpointFiles: [checkpointDir!] }, async (dfk) => {
      assert.equal(await plain(2), 2);
      assert.equal(dfk.memoizer!.size, 0);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('getAllCheckpoints lists the checkpoints of every run, oldest first; getLastCheckpoint the newest', async () => {
  const dir = tempDir();
  try {
    const base = join(dir, 'runinfo');
    assert.deepEqual(getAllCheckpoints(base), []);
    assert.deepEqual(getLastCheckpoint(base), []);
    await run(dir, { checkpointMode: 'task_exit' }, async () => { await costly(join(dir, 'log'), 1); });
    await run(dir, {}, async () => { await plain(1); });
    await run(dir, { checkpointMode: 'task_exit' }, async () => { await costly(join(dir, 'log'), 2); });
    assert.deepEqual(getAllCheckpoints(base), [join(base, '000', 'checkpoint'), join(base, '002', 'checkpoint')]);
    assert.deepEqual(getLastCheckpoint(base), [join(base, '002', 'checkpoint')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpointFiles entry that cannot be read is a ConfigurationError naming the key', async () => {
  const dir = tempDir();
  try {
    await assert.rejects(run(dir, { checkpointFiles: [join(dir, 'nope')] }, async () => {}), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.equal(error.key, 'checkpointFiles');
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
