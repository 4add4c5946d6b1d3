/**
 * Apps defined in the entry script (this test file is one) take along what they use from
 * the script: imports, constants (their value at the call), functions, other apps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { parse } from 'acorn';
import { app, bashApp, AppDefinitionError } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const FACTOR = 3;
const settings = { prefix: 'v', sizes: new Map([['small', 1]]) };
const digestLength = 8;

function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, digestLength);
}
// Nested helpers: describe → scale → FACTOR, describe → hex → createHash, digestLength.
const describe = (x: number) => `${settings.prefix}${scale(x)}:${hex(String(x))}`;
function scale(x: number): number { return x * FACTOR; }

const square = app((x: number) => x * x);
const label = app((x: number) => describe(x));
const useImports = app((file: string, code: string) =>
  `${path.basename(file)} ${(parse(code, { ecmaVersion: 'latest' }) as unknown as { body: unknown[] }).body.length}`);
// On a worker another app is its plain function: `await` gives its value either way.
const sumOfSquares = app(async (xs: number[]) => {
  let total = 0;
  for (const x of xs) total += await square(x);
  return total;
});
const fib = app(async (n: number): Promise<number> => (n < 2 ? n : (await fib(n - 1)) + (await fib(n - 2))));
const echoPrefix = bashApp((_kw: { stdout: string }) => `echo ${settings.prefix}-${FACTOR}`);

test('imports of node built-ins and an npm package go along with an entry-script app', async () => {
  await withDfk(async () => {
    assert.equal(await useImports('/data/run/input.txt', 'a; b; c'), 'input.txt 3');
  });
});

test('constants, helper functions and nested helpers go along; other apps run as plain functions', async () => {
  await withDfk(async () => {
    assert.equal(await label(2), `v6:${createHash('sha256').update('2').digest('hex').slice(0, 8)}`);
    assert.equal(await sumOfSquares([1, 2, 3]), 14);
    assert.equal(await fib(10), 55);
  });
});

test('a constant object ships as it is at the call', async () => {
  await withDfk(async (_dfk, dir) => {
    assert.match(await label(1), /^v3:/);
    settings.prefix = 'w';
    try {
      assert.match(await label(1), /^w3:/);
      await echoPrefix({ stdout: path.join(dir, 'prefix.out') });
      assert.equal(readFileSync(path.join(dir, 'prefix.out'), 'utf8'), 'w-3\n');
    } finally {
      settings.prefix = 'v';
    }
  });
});

test('the app cache key covers captured values: a changed constant is a different call', async () => {
  const tagged = app((x: number) => `${settings.prefix}${x}:${Math.random()}`, { cache: true });
  await withDfk(async () => {
    const first = await tagged(1);
    assert.equal(await tagged(1), first, 'an equal call is served from the cache');
    settings.prefix = 'z';
    try {
      const changed = await tagged(1);
      assert.match(changed, /^z1:/);
      assert.equal(await tagged(1), changed);
    } finally {
      settings.prefix = 'v';
    }
  });
});

let reassigned = 0;
reassigned += 1;
class Point { constructor(readonly x: number) {} }
const origin = new Point(0);
const server = createServer();

test('refused at definition, naming the variable and why: a reassigned let, a class instance, a socket', () => {
  const refusal = (define: () => unknown, name: string, why: RegExp) => {
    assert.throws(define, (error: unknown) => {
      assert.ok(error instanceof AppDefinitionError, String(error));
      assert.deepEqual(error.capturedNames, [name]);
      assert.match(error.message, new RegExp(`'${name}' `));
      assert.match(error.message, why);
      return true;
    });
  };
  refusal(() => app((x: number) => x + reassigned), 'reassigned', /`let` the script assigns again \(`reassigned \+= 1`\)/);
  refusal(() => app(() => origin.x), 'origin', /an instance of class Point, which cannot be sent to a worker/);
  refusal(() => app(() => server.listening), 'server', /an instance of class Server/);
  refusal(() => app(() => notDeclaredAnywhere), 'notDeclaredAnywhere', /not declared at the top level/);
});

declare const notDeclaredAnywhere: number;
