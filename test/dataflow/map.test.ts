import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, bashApp, map, AppFuture } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const square = app(function square(x: number) { return x * x; });
const whoRuns = app(async function whoRuns(x: number) {
  const { threadId } = await import('node:worker_threads');
  return `${x}@${threadId}`;
});
const failOdd = app(function failOdd(x: number) { if (x % 2) throw new RangeError(`odd ${x}`); return x; });

test('map calls the app once per item and returns the futures in item order', async () => {
  await withDfk(async (dfk) => {
    const before = dfk.counts().submitted;
    const futures = map(square, [1, 2, 3, 4]);
    assert.equal(futures.length, 4);
    assert.ok(futures.every((f) => f instanceof AppFuture));
    assert.deepEqual(await Promise.all(futures), [1, 4, 9, 16]);
    assert.equal(dfk.counts().submitted - before, 4);
    // Items may be futures, and any iterable works.
    assert.deepEqual(await Promise.all(map(square, new Set([square(2), 3]))), [16, 9]);
  });
});

test('map with chunk runs several items per task and still gives one future per item', async () => {
  await withDfk(async () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const futures = map(square, items, { chunk: 4 });
    assert.equal(futures.length, 10);
    assert.deepEqual(await Promise.all(futures), items.map((i) => i * i));
    // Items of one chunk run on the same worker, in a row.
    const where = await Promise.all(map(whoRuns, [0, 1, 2], { chunk: 3 }));
    const threads = new Set(where.map((w) => w.split('@')[1]));
    assert.equal(threads.size, 1);
    // A failing item fails only its own future, with its own error (class kept).
    const mixed = map(failOdd, [0, 2, 1, 4, 3], { chunk: 2 });
    assert.deepEqual(await Promise.all(mixed.slice(0, 2)), [0, 2]);
    await assert.rejects(mixed[2]!, (error: unknown) => error instanceof RangeError && error.message === 'odd 1');
    assert.equal(await mixed[3]!, 4);
    await assert.rejects(mixed[4]!, /odd 3/);
  });
});

test('map refuses a bad chunk, and chunking a bash app', async () => {
  await withDfk(async () => {
    assert.throws(() => map(square, [1], { chunk: 0 }), RangeError);
    const echo = bashApp((x: number) => `echo ${x}`);
    assert.throws(() => map(echo, [1, 2], { chunk: 2 }), /needs a function app/);
  });
});
