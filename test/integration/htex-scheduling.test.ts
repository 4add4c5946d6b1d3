/** Which worker runs what: no task is left waiting while a worker could run it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, SerializationError } from '../../src/index.js';
import { startHtex, stopHtex } from './htex-helpers.js';

const id = app(function id(value: unknown) { return value; });
const add = app(function add(a: number, b: number) { return a + b; });

/** Resolves with the promise's outcome, or 'hung' after `ms`. */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then((value) => ({ value }), (error: unknown) => ({ error })),
    new Promise<'hung'>((resolve) => { timer = setTimeout(() => resolve('hung'), ms); }),
  ]).finally(() => clearTimeout(timer));
}

test('a task with an unserializable argument fails alone; the next task still runs on a single worker', async () => {
  const run = await startHtex({ maxWorkersPerNode: 1 });
  try {
    // Submitted before the manager registers (capacity 1): both wait in the interchange's queue.
    const bad = id(() => 1);
    const good = add(1, 2);
    const outcome = await settledWithin(good, 10_000);
    if (outcome === 'hung') await add(0, 0); // unstick it, so that cleanup can end
    assert.deepEqual(outcome, { value: 3 });
    await assert.rejects(bad, (e: Error) => e instanceof SerializationError && /argument 0 of app id/.test(e.message));
  } finally {
    await stopHtex(run);
  }
});
