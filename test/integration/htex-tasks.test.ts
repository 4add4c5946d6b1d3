/** HighThroughputExecutor runs what the thread executor runs: real managers and workers on loopback TCP. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  app, bashApp, File, AppTimeout, BashExitFailure, MissingOutputs, SerializationError, WorkerLost,
} from '../../src/index.js';
import { loud, failCustom, importBare, CustomFailure } from '../fixtures/module-apps.js';
import { startHtex, stopHtex, type HtexRun } from './htex-helpers.js';

const whoAmI = app(async function whoAmI(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { rank: process.env.PARSL_WORKER_RANK, count: process.env.PARSL_WORKER_COUNT, pool: process.env.PARSL_WORKER_POOL_ID, pid: process.pid };
});
const add = app(function add(a: number, b: number) { return a + b; });
const throwRange = app(function throwRange() { throw new RangeError('out of range on the worker'); });
const returnsFunction = app(function returnsFunction() { return () => 1; });
const echoBack = app(function echoBack(value: unknown) { return value; });
const spin = app(function spin(_kw: { walltime?: number }) { for (;;) { /* never returns */ } });
const sleepLong = app(async function sleepLong(_kw: { walltime?: number }) { await new Promise((resolve) => setTimeout(resolve, 10_000)); });
const dieHard = app(function dieHard() { process.kill(process.pid, 'SIGKILL'); });
const exitThree = app(function exitThree() { process.exit(3); });
const echo = bashApp((message: string, _kw: { stdout?: string }) => `echo ${message}`);
const failBash = bashApp(() => 'exit 7');
const writeNothing = app(function writeNothing(_kw: { outputs?: File[] }) { return 1; });
const writeFile = bashApp((_kw: { outputs?: File[] }) => `echo data > ${_kw.outputs![0]}`);

let run: HtexRun | undefined;
before(async () => { run = await startHtex(); });
after(async () => { await stopHtex(run); });

test('hundreds of tasks run across both workers of one manager, each knowing its rank, count and pool', async () => {
  const results = await Promise.all(Array.from({ length: 300 }, () => whoAmI(2)));
  const ranks = new Set(results.map((r) => r.rank));
  assert.deepEqual([...ranks].sort(), ['0', '1']);
  assert.ok(results.every((r) => r.count === '2'));
  assert.equal(new Set(results.map((r) => r.pool)).size, 1);
  assert.equal(new Set(results.map((r) => r.pid)).size, 2);
  const sums = await Promise.all(Array.from({ length: 500 }, (_, i) => add(i, add(i, 1))));
  assert.deepEqual(sums, Array.from({ length: 500 }, (_, i) => 2 * i + 1));
});

test('errors keep their class, message and remote stack; custom ParslError subclasses keep their name', async () => {
  const error = await throwRange().then(() => undefined, (e: Error) => e);
  assert.ok(error instanceof RangeError);
  assert.equal(error.message, 'out of range on the worker');
  assert.match(error.stack ?? '', /throwRange/);
  const custom = await failCustom().then(() => undefined, (e: Error) => e);
  assert.equal(custom?.name, 'CustomFailure');
  assert.match(custom?.message ?? '', /custom failure from a worker/);
  assert.ok(CustomFailure);
});

test('apps exported from a TypeScript module ship by reference and may use its imports', async () => {
  assert.equal(await loud('hi'), 'HI!');
  assert.equal(await importBare(), 'function');
});

test('values survive the wire: Maps, Dates, typed arrays, bigints, nested objects', async () => {
  const value = { map: new Map([[1, 'a']]), date: new Date(42), bytes: new Uint8Array([1, 2, 3]), big: 2n ** 70n, nested: [{ x: [1, { y: null }] }] };
  assert.deepEqual(await echoBack(value), value);
});

test('an argument or a result that cannot be serialized is a SerializationError that says which', async () => {
  await assert.rejects(echoBack(Symbol('nope') as never), (e: Error) => e instanceof SerializationError && /argument 0 of app echoBack/.test(e.message));
  await assert.rejects(returnsFunction(), (e: Error) => e instanceof SerializationError && /the result of task/.test(e.message));
});

test('bash apps: exit code 0, stdout file, non-zero exit as BashExitFailure', async () => {
  const out = join(run!.dir, 'hi.out');
  assert.equal(await echo('hi', { stdout: out }), 0);
  assert.equal(readFileSync(out, 'utf8'), 'hi\n');
  await assert.rejects(failBash(), (e: Error) => e instanceof BashExitFailure && e.exitCode === 7);
});

test('outputs: a missing output is MissingOutputs, a written one resolves its DataFuture', async () => {
  const missing = new File(join(run!.dir, 'never.txt'));
  await assert.rejects(writeNothing({ outputs: [missing] }), MissingOutputs);
  const target = new File(join(run!.dir, 'written.txt'));
  const future = writeFile({ outputs: [target] });
  assert.equal(await future, 0);
  assert.equal((await future.outputs[0]!).filepath, target.filepath);
  assert.ok(existsSync(target.filepath));
});

test('walltime: a synchronous loop is ended by killing its worker, an async task times out in place; both AppTimeout', async () => {
  await assert.rejects(spin({ walltime: 0.5 }), (e: Error) => e instanceof AppTimeout && /walltime of 0.5 s/.test(e.message));
  await assert.rejects(sleepLong({ walltime: 0.3 }), AppTimeout);
  assert.equal(await add(2, 2), 4);
});

test('a worker killed mid-task fails that task with WorkerLost; the manager replaces the worker and keeps serving', async () => {
  const poolBefore = (await whoAmI(0)).pool;
  await assert.rejects(dieHard(), (e: Error) => e instanceof WorkerLost && /SIGKILL/.test(e.message));
  await assert.rejects(exitThree(), (e: Error) => e instanceof WorkerLost && /exited with code 3/.test(e.message));
  // The replacement takes a moment to start: keep submitting until both ranks answer.
  const ranks = new Set<string | undefined>();
  for (let round = 0; round < 100 && ranks.size < 2; round++) {
    const after = await Promise.all(Array.from({ length: 10 }, () => whoAmI(5)));
    assert.ok(after.every((r) => r.pool === poolBefore), 'same manager');
    for (const r of after) ranks.add(r.rank);
  }
  assert.deepEqual([...ranks].sort(), ['0', '1'], 'both workers serve again');
  assert.equal(run!.executor.managers().length, 1);
});
