import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, DependencyError, type TaskRecordView } from '../../src/index.js';
import { withDfk } from '../helpers.js';

/** Fails its first `failTimes` runs; counts runs in a file (tries run on worker threads). */
const flaky = app(async function flaky(counter: string, failTimes: number) {
  const fs = await import('node:fs');
  let runs = 0;
  try { runs = Number(fs.readFileSync(counter, 'utf8')); } catch { /* first run */ }
  fs.writeFileSync(counter, String(runs + 1));
  if (runs < failTimes) throw new RangeError(`try ${runs} fails`);
  return runs;
});

const runs = (counter: string) => (existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0);

test('a failed task is tried again while the failures cost no more than `retries`; each try is recorded', async () => {
  await withDfk(async (_dfk, dir) => {
    const counter = join(dir, 'a');
    const future = flaky(counter, 2);
    assert.equal(await future, 2);
    assert.equal(runs(counter), 3);
    const tries = future.taskRecord!.tries;
    assert.deepEqual(tries.map((t) => t.tryId), [0, 1, 2]);
    assert.equal(tries[0]!.error?.message, 'try 0 fails');
    assert.ok(tries[1]!.error instanceof RangeError);
    assert.equal(tries[2]!.error, undefined);
    assert.equal(future.taskRecord!.failCount, 2);
    assert.equal(future.taskRecord!.state, 'exec_done');
  }, { retries: 2 });
});

test('the task fails with the last error once the budget is spent', async () => {
  await withDfk(async (_dfk, dir) => {
    const counter = join(dir, 'b');
    const future = flaky(counter, 5);
    await assert.rejects(future, { name: 'RangeError', message: 'try 1 fails' });
    assert.equal(runs(counter), 2);
    assert.equal(future.taskRecord!.tries.length, 2);
  }, { retries: 1 });
});

test('without retries a failed task runs once', async () => {
  await withDfk(async (_dfk, dir) => {
    const counter = join(dir, 'c');
    await assert.rejects(flaky(counter, 1), /try 0 fails/);
    assert.equal(runs(counter), 1);
  });
});

test('retryHandler sets the cost of each failed try and sees the task record', async () => {
  const seen: { id: number; tries: number; failCount: number }[] = [];
  await withDfk(async (_dfk, dir) => {
    const counter = join(dir, 'd');
    const future = flaky(counter, 5);
    await assert.rejects(future, /try 1 fails/);
    // Cost 2 each: 2 ≤ 3 retries once, 4 > 3 stops.
    assert.equal(runs(counter), 2);
    assert.deepEqual(seen.map((s) => s.failCount), [1, 2]);
    assert.ok(seen.every((s) => s.id === future.taskId));
    assert.equal(future.taskRecord!.failCost, 4);
  }, {
    retries: 3,
    retryHandler: (error: Error, record: TaskRecordView) => {
      seen.push({ id: record.id, tries: record.tries.length, failCount: record.failCount });
      assert.ok(record.tries[record.tries.length - 1]!.error === error);
      return 2;
    },
  });
});

test('a cheap failure (cost 0.5) buys more tries', async () => {
  await withDfk(async (_dfk, dir) => {
    const counter = join(dir, 'e');
    assert.equal(await flaky(counter, 3), 3);
    assert.equal(runs(counter), 4);
  }, { retries: 2, retryHandler: () => 0.5 });
});

test('an exception in retryHandler ends the task with that exception', async () => {
  await withDfk(async (_dfk, dir) => {
    const counter = join(dir, 'f');
    await assert.rejects(flaky(counter, 1), { name: 'SyntaxError', message: 'handler broke' });
    assert.equal(runs(counter), 1);
  }, { retries: 5, retryHandler: () => { throw new SyntaxError('handler broke'); } });
});

test('a retryHandler that returns no number ends the task with a TypeError', async () => {
  await withDfk(async (_dfk, dir) => {
    await assert.rejects(flaky(join(dir, 'g'), 1), (error: unknown) => error instanceof TypeError && /retryHandler must return a number/.test(error.message));
  }, { retries: 5, retryHandler: (() => 'x') as unknown as () => number });
});

test('dependency failures are not retried', async () => {
  await withDfk(async (_dfk, dir) => {
    const upstream = join(dir, 'up');
    const downstream = join(dir, 'down');
    const first = flaky(upstream, 10);
    const second = flaky(downstream, first);
    await assert.rejects(second, DependencyError);
    assert.equal(runs(upstream), 3);
    assert.equal(runs(downstream), 0);
    assert.equal(second.taskRecord!.tries.length, 0);
    assert.equal(second.taskRecord!.state, 'dep_fail');
  }, { retries: 2 });
});
