import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, File, UnhashableArgumentError } from '../../src/index.js';
import { cacheKey, codeIdentity } from '../../src/dataflow/memo-key.js';
import { withDfk } from '../helpers.js';

/** Appends a line to `log` each time it really runs; returns a random number. */
const costly = app(async function costly(log: string, x: unknown, _kw?: Record<string, unknown>) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, `${JSON.stringify(x)}\n`);
  for (const output of (_kw?.outputs ?? []) as unknown[]) fs.writeFileSync(String(output), '');
  await new Promise((resolve) => setTimeout(resolve, 20));
  return Math.random();
}, { cache: true, ignoreForCache: ['note'] });
const uncached = app(async function uncached(log: string) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, 'ran\n');
  return Math.random();
});
const failing = app(async function failing(log: string) {
  const fs = await import('node:fs');
  fs.appendFileSync(log, 'ran\n');
  throw new RangeError('always');
}, { cache: true });
const add = app(function add(a: number, b: number) { return a + b; });

const runs = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);

test('an equal call returns the first result without running again, before and after it ended', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    const first = costly(log, 1);
    const whileRunning = costly(log, 1);
    const value = await first;
    assert.equal(await whileRunning, value);
    const after = costly(log, 1);
    assert.equal(await after, value);
    assert.equal(after.taskRecord!.state, 'memo_done');
    assert.equal(runs(log), 1);
    assert.notEqual(await costly(log, 2), value, 'other arguments run again');
    assert.equal(runs(log), 2);
  });
});

test('the key uses arguments after dependencies resolve, ignores key order and ignoreForCache keys', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    const a = await costly(log, 2);
    assert.equal(await costly(log, add(1, 1)), a);
    const b = await costly(log, { p: 1, q: [1, 2] }, { note: 'first' });
    assert.equal(await costly(log, { q: [1, 2], p: 1 }, { note: 'second' }), b);
    assert.notEqual(await costly(log, { q: [1, 2], p: 1 }, { other: 'x' }), b, 'other keywords count');
    assert.equal(runs(log), 3);
  });
});

test('outputs count by path', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    const x = await costly(log, 1, { outputs: [new File(join(dir, 'x'))] });
    assert.equal(await costly(log, 1, { outputs: [new File(join(dir, 'x'))] }), x);
    assert.notEqual(await costly(log, 1, { outputs: [new File(join(dir, 'y'))] }), x);
    assert.equal(runs(log), 2);
  });
});

test('failures are reused in memory: an equal call of a failed task fails without running', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    await assert.rejects(failing(log), /always/);
    await assert.rejects(failing(log), /always/);
    assert.equal(runs(log), 1);
  });
});

test('an argument that cannot be hashed fails the task with an error naming it', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    await assert.rejects(costly(log, () => 1), (error: unknown) => {
      assert.ok(error instanceof UnhashableArgumentError);
      assert.match(error.message, /^argument 2 of app costly: cannot hash a function/);
      return true;
    });
    class Point { constructor(readonly x: number) {} }
    await assert.rejects(costly(log, { nested: [new Point(1)] }, {}), /argument 2 \(at \.nested\[0\]\) of app costly: cannot hash an instance of class Point/);
    await assert.rejects(costly(log, 1, { hook: Symbol('s') }), /keyword 'hook' of app costly: cannot hash a symbol/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(costly(log, cyclic), /cannot hash a cyclic structure/);
    // An ignored keyword may hold anything the worker can receive.
    assert.equal(typeof await costly(log, 5, { note: new Point(2) }), 'number');
    assert.equal(runs(log), 1);
  });
});

test('apps without cache: true, and configs with appCache: false, run every call', async () => {
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    await uncached(log);
    await uncached(log);
    assert.equal(runs(log), 2);
  });
  await withDfk(async (_dfk, dir) => {
    const log = join(dir, 'log');
    await costly(log, 1);
    await costly(log, 1);
    assert.equal(runs(log), 2);
  }, { appCache: false });
});

test('cache keys: canonical for Maps, Sets, Dates, bigints and typed arrays; distinct where values differ', () => {
  const definition = costly.definition;
  const identity = codeIdentity(definition, { id: 'x', kind: 'source', name: 'costly', source: 'function costly() {}' });
  const key = (...args: unknown[]) => cacheKey(definition, identity, args);
  assert.match(key(1), /^[0-9a-f]{64}$/);
  assert.equal(key(new Map([['a', 1], ['b', 2]])), key(new Map([['b', 2], ['a', 1]])));
  assert.equal(key(new Set([1, 2])), key(new Set([2, 1])));
  assert.equal(key(new Date(5)), key(new Date(5)));
  assert.notEqual(key(new Date(5)), key(5));
  assert.notEqual(key(1n), key(1));
  assert.notEqual(key('1'), key(1));
  assert.notEqual(key(new Uint8Array([1, 2])), key(new Int8Array([1, 2])));
  assert.equal(key(Buffer.from([1, 2])), key(new Uint8Array([1, 2])));
  assert.notEqual(key([1, [2]]), key([[1], 2]));
  assert.notEqual(key(undefined), key(null));
  assert.notEqual(key(0), key(-0));
  assert.notEqual(key('a', 'b'), key('ab'));
  const other = codeIdentity(definition, { id: 'y', kind: 'source', name: 'costly', source: 'function costly() { return 1; }' });
  assert.notEqual(cacheKey(definition, other, [1]), key(1), 'the code is part of the key');
  const reference = { id: 'z', kind: 'reference' as const, name: 'f', moduleUrl: new URL('lib/f.ts', `file://${process.cwd()}/`).href, exportName: 'f' };
  assert.ok(codeIdentity(definition, reference).startsWith('function:ref:lib/f.ts#f:'), 'module apps are identified relative to the working directory');
  const edited = { ...definition, fn: function costly() { return 2; } };
  assert.notEqual(codeIdentity(edited, reference), codeIdentity(definition, reference), "a module app's source is part of the key");
});
