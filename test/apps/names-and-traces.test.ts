/**
 * Apps are named as the script names them, and an error thrown by an app shipped by source
 * shows the user's file, line and function, on both executors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, bashApp, AUTO_LOGNAME, BashExitFailure, HighThroughputExecutor, LocalProvider } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const thisFile = fileURLToPath(import.meta.url);
const lineOf = (marker: string) => readFileSync(thisFile, 'utf8').split('\n').findIndex((line) => line.includes(marker) && !line.includes('lineOf(')) + 1;

const square = app((x: number) => x * x);
const shout = bashApp((_kw: { stdout?: unknown }) => 'echo hi');
const failing = bashApp(() => 'exit 3');
const custom = app((x: number) => x, { name: 'renamed' });
const named = app(function add(a: number, b: number) { return a + b; });

function checkRange(x: number): number {
  if (x > 10) throw new RangeError(`${x} is out of range`); // marker: helper throw
  return x;
}
const explode = app((x: number) => {
  if (x < 0) throw new TypeError('negative'); // marker: app throw
  return checkRange(x);
});

test('an arrow-function app is named after its variable; a function\'s own name and { name } win', () => {
  assert.equal(square.appName, 'square');
  assert.equal(shout.appName, 'shout');
  assert.equal(custom.appName, 'renamed');
  assert.equal(named.appName, 'add');
});

test('the name is used in parsl.log, AUTO_LOGNAME paths and errors', async () => {
  await withDfk(async (dfk) => {
    assert.equal(await square(3), 9);
    const logged = shout({ stdout: AUTO_LOGNAME });
    await logged;
    assert.match(logged.stdout!, /task_\d+_shout\.stdout$/);
    await assert.rejects(failing(), (error: unknown) => error instanceof BashExitFailure && /bash app failing failed/.test(error.message));
    await dfk.logger.flush();
    assert.match(readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8'), /submitted for app square/);
  });
});

async function checkTraces(): Promise<void> {
  await assert.rejects(explode(-1), (error: unknown) => {
    const stack = (error as Error).stack ?? '';
    assert.ok(error instanceof TypeError);
    assert.match(stack, new RegExp(`at explode \\(${thisFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${lineOf('marker: app throw')}:\\d+\\)`), stack);
    assert.doesNotMatch(stack, /eval at|<anonymous>:\d|parsl-ts-code/);
    return true;
  });
  await assert.rejects(explode(11), (error: unknown) => {
    const stack = (error as Error).stack ?? '';
    assert.match(stack, new RegExp(`at checkRange \\(.*names-and-traces\\.test\\.ts:${lineOf('marker: helper throw')}:\\d+\\)`), stack);
    assert.match(stack, new RegExp(`at explode \\(.*names-and-traces\\.test\\.ts:${lineOf('return checkRange(x)')}:\\d+\\)`), stack);
    return true;
  });
}

test('stack traces point at the user\'s file, line and function: ThreadPoolExecutor', async () => {
  await withDfk(checkTraces);
});

test('stack traces point at the user\'s file, line and function: HighThroughputExecutor', { timeout: 60_000 }, async () => {
  await withDfk(checkTraces, {
    executors: [new HighThroughputExecutor({ label: 'htex', maxWorkersPerNode: 1, provider: new LocalProvider({ initBlocks: 1 }) })],
  });
});
