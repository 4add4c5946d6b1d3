import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSource, functionSource } from '../../src/serialize/code.js';

test('captured names are found; globals, parameters and locals are not', () => {
  const offset = 3;
  const label = 'x';
  const fn = function f(a: number, { b, c = 1 }: { b: number; c?: number }) {
    const local = Math.max(a, b, c);
    class Inner {}
    try { JSON.parse('1'); } catch (error) { void error; }
    for (const item of [1]) void item;
    return [local + offset, label, Inner, process.pid, Buffer.from('x'), setTimeout, (q: number) => q, helper()];
    function helper() { return a; }
  };
  assert.deepEqual(analyzeSource(functionSource(fn, 'f')).captured, ['label', 'offset']);
});

test('object property names and member accesses are not captures', () => {
  const fn = (o: { key: number }) => ({ key: o.key, other: Math.PI });
  assert.deepEqual(analyzeSource(functionSource(fn, 'fn')).captured, []);
});

test('method shorthand and async methods become expressions', () => {
  const holder = { double(x: number) { return x * 2; }, async triple(x: number) { return x * 3; } };
  for (const [name, fn] of Object.entries(holder)) {
    const source = functionSource(fn, name);
    const revived = new Function(`return (${source})`)() as (x: number) => unknown;
    assert.equal(typeof revived, 'function');
  }
});

test('dynamic import() is rewritten to resolve against the defining module', () => {
  const fn = async () => (await import('node:path')).sep;
  const { rewritten, captured } = analyzeSource(functionSource(fn, 'fn'));
  assert.deepEqual(captured, []);
  assert.match(rewritten, /__parsl_import\(/);
  assert.doesNotMatch(rewritten, /[^_]import\(/);
});

test('native and bound functions are refused', () => {
  assert.throws(() => functionSource(Math.max, 'max'), /native or bound/);
  assert.throws(() => functionSource(((x: number) => x).bind(null), 'bound'), /native or bound/);
});
