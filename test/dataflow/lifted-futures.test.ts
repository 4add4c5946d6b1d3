import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, AppFuture, DependencyError } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const pair = app(function pair(a: number, b: number) { return { sum: a + b, parts: [a, b] }; });
const list = app(function list(n: number) { return Array.from({ length: n }, (_, i) => i * 10); });
const table = app(function table() { return new Map([['x', 1]]); });
const add = app(function add(a: number, b: number) { return a + b; });
const fail = app(function fail(): { sum: number } { throw new RangeError('no'); });

test("fut.get('key') and fut.get(0) are futures of that part of the value", async () => {
  await withDfk(async () => {
    const p = pair(2, 3);
    const sum = p.get('sum');
    assert.ok(sum instanceof AppFuture);
    assert.notEqual(sum.taskId, p.taskId);
    assert.equal(await sum, 5);
    assert.deepEqual(await p.get('parts'), [2, 3]);
    const l = list(3);
    assert.equal(await l.get(2), 20);
    // A lifted future is a dependency like any other, before its parent has finished.
    assert.equal(await add(list(4).get(3), pair(1, 1).get('sum')), 32);
    assert.equal(await (table() as AppFuture<Map<string, number>>).get('x' as never), 1);
  });
});

test('a missing key or index fails the lifted future with a clear error', async () => {
  await withDfk(async () => {
    const l = list(2);
    await assert.rejects(l.get(5), (error: unknown) => error instanceof RangeError && /length 2 has no index 5/.test(error.message));
    await assert.rejects(pair(1, 2).get('nope' as 'sum'), /has no key "nope"/);
    // Inherited properties are not parts of the value.
    await assert.rejects(pair(1, 2).get('toString' as 'sum'), RangeError);
  });
});

test('a lifted future of a failed future fails with DependencyError', async () => {
  await withDfk(async () => {
    const bad = fail();
    await assert.rejects(bad.get('sum'), (error: unknown) => error instanceof DependencyError && error.failed[0]!.taskId === bad.taskId);
  });
});
