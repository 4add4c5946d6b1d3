import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, DependencyError, TaskCancelledError } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const sleepy = app(async function sleepy(ms: number, value: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
});
/** Leaves a file behind when it runs. */
const mark = app(async function mark(path: string, value: number) {
  const fs = await import('node:fs');
  fs.writeFileSync(path, 'ran');
  return value;
});

test('cancel() of a task waiting for its dependencies: it never runs, dependents get DependencyError', async () => {
  await withDfk(async (_dfk, dir) => {
    const marker = join(dir, 'cancelled-ran');
    const slow = sleepy(150, 1);
    const waiting = mark(marker, slow);
    const dependent = mark(join(dir, 'dependent-ran'), waiting);
    assert.equal(waiting.cancel(), true);
    assert.equal(waiting.cancelled(), true);
    await assert.rejects(waiting, (error: unknown) => error instanceof TaskCancelledError && error.taskId === waiting.taskId);
    await assert.rejects(dependent, (error: unknown) => {
      assert.ok(error instanceof DependencyError);
      assert.equal(error.failed[0]!.taskId, waiting.taskId);
      assert.ok(error.failed[0]!.error instanceof TaskCancelledError);
      return true;
    });
    assert.equal(await slow, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(existsSync(marker), false);
    assert.equal(existsSync(join(dir, 'dependent-ran')), false);
    assert.equal(waiting.taskRecord!.state, 'cancelled');
    assert.equal(waiting.cancel(), false, 'a second cancel is a no-op');
  });
});

test('cancel() of a task queued in the executor removes it; it never runs', async () => {
  await withDfk(async (_dfk, dir) => {
    // Two threads, each busy with one slow task; the third waits in the executor's queue.
    const busy = [sleepy(300, 1), sleepy(300, 2)];
    await new Promise((resolve) => setTimeout(resolve, 50));
    const marker = join(dir, 'queued-ran');
    const queued = mark(marker, 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(queued.taskRecord!.state, 'launched');
    assert.equal(queued.cancel(), true);
    await assert.rejects(queued, TaskCancelledError);
    assert.deepEqual(await Promise.all(busy), [1, 2]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(existsSync(marker), false);
  });
});

test('cancel() returns false once the task runs, and after it ended', async () => {
  await withDfk(async () => {
    const running = sleepy(200, 7);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(running.cancel(), false);
    assert.equal(await running, 7);
    assert.equal(running.cancel(), false);
    assert.equal(running.cancelled(), false);
  });
});
