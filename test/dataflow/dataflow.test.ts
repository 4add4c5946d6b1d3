import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  app, joinApp, asCompleted, load, currentDfk, AppFuture, DependencyError, JoinError,
  NoDataFlowKernelError, ConfigurationError, ThreadPoolExecutor,
} from '../../src/index.js';
import { withDfk, tempDir } from '../helpers.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const add = app(function add(a: number, b: number) { return a + b; });
const sum = app((values: number[]) => values.reduce((s, v) => s + v, 0));
const describe = app((o: { a: number; nested: { b: number[] } }) => `${o.a}:${o.nested.b.join(',')}`);
const fail = app(function fail(message: string): number { throw new RangeError(message); });
const sleepy = app(async (ms: number, value: number) => { await new Promise((r) => setTimeout(r, ms)); return value; });

test('an app call returns an AppFuture at once; a future argument is a dependency', async () => {
  await withDfk(async () => {
    const inner = add(2, 3);
    assert.ok(inner instanceof AppFuture);
    assert.ok(inner instanceof Promise);
    assert.equal(typeof inner.taskId, 'number');
    const six = add(1, inner);
    assert.equal(await six, 6);
    assert.ok(six.done());
    assert.equal(six.exception(), undefined);
  });
});

test('futures and plain promises are found at any depth inside arrays and plain objects', async () => {
  await withDfk(async () => {
    const values = [add(1, 1), Promise.resolve(3), 4, { then: (r: (v: number) => void) => r(5) } as PromiseLike<number>];
    assert.equal(await sum(values), 14);
    const text = await describe({ a: add(0, 1), nested: { b: [add(1, 1), Promise.resolve(3)] } });
    assert.equal(text, '1:2,3');
  });
});

test('a failed dependency gives DependencyError naming the failed task ids', async () => {
  await withDfk(async () => {
    const bad = fail('boom');
    const bad2 = fail('bang');
    const downstream = add(bad, bad2);
    await assert.rejects(downstream, (error: unknown) => {
      assert.ok(error instanceof DependencyError);
      assert.deepEqual(error.failed.map((f) => f.taskId).sort(), [bad.taskId, bad2.taskId].sort());
      assert.match(error.message, new RegExp(`task ${bad.taskId}`));
      assert.ok(error.failed[0]!.error instanceof RangeError);
      return true;
    });
    // Failure propagates through a chain.
    await assert.rejects(add(downstream, 1), DependencyError);
  });
});

test('an error thrown in an app keeps its class, message and remote stack', async () => {
  await withDfk(async () => {
    const future = fail('out of range');
    await assert.rejects(future, (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.equal((error as Error).message, 'out of range');
      assert.match((error as Error).stack ?? '', /fail/);
      return true;
    });
    assert.ok(future.exception() instanceof RangeError);
  });
});

test('a failed future nobody awaits does not crash the driver', async () => {
  let unhandled = 0;
  const onUnhandled = () => { unhandled++; };
  process.on('unhandledRejection', onUnhandled);
  try {
    await withDfk(async (dfk) => {
      fail('ignored');
      add(fail('ignored too'), 1);
      await dfk.waitForCurrentTasks();
      await new Promise((r) => setTimeout(r, 20));
    });
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, 0);
});

test('waitForCurrentTasks resolves when every submitted task has ended', async () => {
  await withDfk(async (dfk) => {
    const futures = [sleepy(30, 1), sleepy(10, 2), fail('x')];
    await dfk.waitForCurrentTasks();
    assert.ok(futures.every((f) => f.done()));
  });
});

test('join apps run on the driver and resolve to the values of the futures they return', async () => {
  await withDfk(async () => {
    const fanOut = joinApp((n: number) => Array.from({ length: n }, (_, i) => add(i, 0)));
    assert.deepEqual(await fanOut(4), [0, 1, 2, 3]);
    const single = joinApp((x: number) => add(x, 10));
    assert.equal(await single(add(1, 1)), 12);
    const failing = joinApp(() => [add(1, 1), fail('inner')]);
    await assert.rejects(failing(), (error: unknown) => error instanceof JoinError && error.failed.length === 1);
  });
});

test('asCompleted yields each future as it ends, failures included', async () => {
  await withDfk(async () => {
    const futures = [sleepy(80, 1), sleepy(1, 2), fail('x')];
    const order: number[] = [];
    for await (const future of asCompleted(futures)) order.push(futures.indexOf(future as unknown as (typeof futures)[number]));
    assert.equal(order.length, 3);
    assert.equal(order[order.length - 1], 0);
  });
});

test('load, cleanup and current DFK: idempotent cleanup, load again, second load refused', async () => {
  const dir = tempDir();
  const config = () => ({ executors: [new ThreadPoolExecutor({ maxThreads: 1 })], runDir: join(dir, 'runinfo') });
  const dfk = await load(config());
  assert.equal(currentDfk(), dfk);
  await assert.rejects(load(config()), ConfigurationError);
  assert.equal(await add(1, 2), 3);
  await dfk.cleanup();
  await dfk.cleanup();
  assert.throws(() => currentDfk(), NoDataFlowKernelError);
  assert.throws(() => add(1, 2), NoDataFlowKernelError);
  {
    await using second = await load(config());
    assert.notEqual(second.runDir, dfk.runDir);
    assert.equal(await add(2, 2), 4);
  }
  assert.throws(() => currentDfk(), NoDataFlowKernelError);
  const log = readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8');
  assert.match(log, /Task 0 submitted for app add/);
  assert.match(log, /Task 0 try 0 launched on executor threads/);
  assert.match(log, /Task 0 try 0 completed/);
  assert.match(dfk.runDir, /runinfo[\\/]000$/);
});
