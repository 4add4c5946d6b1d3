import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, HighThroughputExecutor, InvalidResourceSpecification, LocalProvider, ParslError, ThreadPoolExecutor } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const note = app(async function note(log: string, name: string, _kw: Record<string, unknown>) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, `${name}\n`);
  return name;
});
const hold = app(async function hold(ms: number) { await new Promise((resolve) => setTimeout(resolve, ms)); });

const ran = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

function rejectsKeys(keys: string[], supported: string[], message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof InvalidResourceSpecification, String(error));
    assert.ok(error instanceof ParslError);
    assert.deepEqual(error.invalidKeys, keys);
    assert.deepEqual(error.supportedKeys, supported);
    assert.match(error.message, message);
    return true;
  };
}

test('ThreadPoolExecutor: unsupported resourceSpecification keys fail the task, naming them and the supported ones', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    await assert.rejects(note(log, 'x', { resourceSpecification: { num_nodes: 2, cores: 4 } }),
      rejectsKeys(['num_nodes', 'cores'], ['priority'], /executor threads .*'num_nodes', 'cores'.*supported: priority/));
    await assert.rejects(note(log, 'y', { resourceSpecification: { priority: 'high' } }), rejectsKeys(['priority'], ['priority'], /priority must be a number/));
    assert.deepEqual(ran(log), [], 'refused tasks never ran');
  });
});

test('ThreadPoolExecutor: resourceSpecification.priority orders waiting tasks, lower first', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    const busy = hold(300);
    const calls = [['late', 9], ['early', 1], ['middle', 5]] as const;
    const futures = calls.map(([name, priority]) => note(log, name, { resourceSpecification: { priority } }));
    await Promise.all([busy, ...futures]);
    assert.deepEqual(ran(log), ['early', 'middle', 'late']);
  }, { executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 1 })] });
});

test('HighThroughputExecutor: supports priority, cores and memory (MB); asks beyond one worker are refused, naming the key', async () => {
  const htex = new HighThroughputExecutor({
    label: 'htex', coresPerWorker: 2, memPerWorker: 1, maxWorkersPerNode: 1,
    provider: new LocalProvider({ initBlocks: 0, minBlocks: 0, maxBlocks: 0 }),
  });
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    const supported = ['priority', 'cores', 'memory'];
    await assert.rejects(note(log, 'a', { resourceSpecification: { num_nodes: 2 } }),
      rejectsKeys(['num_nodes'], supported, /executor htex .*'num_nodes'.*supported: priority, cores, memory/));
    await assert.rejects(note(log, 'b', { resourceSpecification: { cores: 4 } }),
      rejectsKeys(['cores'], supported, /cores: 4 .*coresPerWorker 2/));
    await assert.rejects(note(log, 'c', { resourceSpecification: { memory: 2048 } }),
      rejectsKeys(['memory'], supported, /memory: 2048 MB .*memPerWorker 1 GB/));
    await assert.rejects(note(log, 'd', { resourceSpecification: { cores: 0 } }), rejectsKeys(['cores'], supported, /positive number/));
    // Within one worker's means: accepted and queued (no block runs here), then cancelled.
    const fits = note(log, 'e', { resourceSpecification: { cores: 2, memory: 1024, priority: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(fits.done(), false, 'a satisfiable task is queued, not refused');
    assert.equal(fits.cancel(), true);
    await assert.rejects(fits);
    assert.deepEqual(ran(log), []);
  }, { executors: [htex], strategy: 'none' });
});
