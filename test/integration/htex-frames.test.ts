/** maxFrameBytes caps results too: a result too big fails its task alone, and its worker lives on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, SerializationError } from '../../src/index.js';
import { startHtex, stopHtex } from './htex-helpers.js';

const workerPid = app(function workerPid(i: number) { return { i, pid: process.pid }; });
const bigResult = app(function bigResult(bytes: number) { return 'x'.repeat(bytes); });

test('a result over a custom maxFrameBytes fails that task with SerializationError; the worker and the results sent with it are unharmed', async () => {
  const run = await startHtex({ maxWorkersPerNode: 1, maxFrameBytes: 64 * 1024 });
  try {
    // Fast tasks first, so that the worker holds many at once and returns their results in one frame.
    const warm = await Promise.all(Array.from({ length: 300 }, (_, i) => workerPid(i)));
    const pid = warm[0]!.pid;
    const before = Array.from({ length: 20 }, (_, i) => workerPid(i));
    const big = bigResult(100 * 1024);
    const after = Array.from({ length: 20 }, (_, i) => workerPid(100 + i));
    await assert.rejects(big, (e: Error) => e instanceof SerializationError && /result of task .* exceed the frame cap of 65536/.test(e.message));
    for (const result of await Promise.all([...before, ...after])) assert.equal(result.pid, pid, 'the same worker ran everything');
    assert.equal((await workerPid(0)).pid, pid);
    assert.equal((await bigResult(1000)).length, 1000);
  } finally {
    await stopHtex(run);
  }
});
