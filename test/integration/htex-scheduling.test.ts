/** Which worker runs what: no task is left waiting while a worker could run it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, SerializationError, WorkerLost } from '../../src/index.js';
import { startHtex, stopHtex, waitFor } from './htex-helpers.js';

const id = app(function id(value: unknown) { return value; });
const add = app(function add(a: number, b: number) { return a + b; });
const rankAfter = app(async function rankAfter(ms: number) {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  return process.env.PARSL_WORKER_RANK;
});
const poolAfter = app(async function poolAfter(ms: number) {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  return process.env.PARSL_WORKER_POOL_ID;
});
const dieHard = app(function dieHard() { process.kill(process.pid, 'SIGKILL'); });

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

test('slow tasks after many fast ones spread over both workers instead of queueing on one', async () => {
  const run = await startHtex({ maxWorkersPerNode: 2 });
  try {
    await Promise.all(Array.from({ length: 100 }, () => rankAfter(0)));
    const ranks = await Promise.all(Array.from({ length: 12 }, () => rankAfter(50)));
    const perRank = new Map<string | undefined, number>();
    for (const rank of ranks) perRank.set(rank, (perRank.get(rank) ?? 0) + 1);
    assert.equal(perRank.size, 2, `all 12 ran on worker ${ranks[0]}`);
    // Usually 6 and 6; a loaded machine may skew it a little (it was 12 and 0).
    for (const [rank, count] of perRank) assert.ok(count >= 2, `worker ${rank} ran only ${count} of 12`);
  } finally {
    await stopHtex(run);
  }
});

test('after a worker is replaced, a short task queued behind a long one moves to the replacement when it is ready', async () => {
  const run = await startHtex({ maxWorkersPerNode: 2 });
  try {
    // Both workers have a history of fast tasks.
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 20 }, () => rankAfter(0)));
    await assert.rejects(dieHard(), WorkerLost);
    const long = rankAfter(6000);
    const short = rankAfter(10);
    const first = await Promise.race([long.then(() => 'long'), short.then(() => 'short')]);
    assert.equal(first, 'short', 'the short task waited for the long one');
    assert.notEqual(await short, await long, 'they ran on different workers');
  } finally {
    await stopHtex(run);
  }
});

test('short tasks sent to a manager busy with a long one move to another manager that is idle', async () => {
  const run = await startHtex({ maxWorkersPerNode: 1 }, { initBlocks: 2, minBlocks: 2, maxBlocks: 2 });
  try {
    await waitFor(() => run.executor.managers().length === 2, 15_000, 'two managers');
    // Both managers' workers have a history of fast tasks, so each takes many tasks at once.
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 20 }, () => poolAfter(0)));
    const long = poolAfter(6000);
    const shorts = Array.from({ length: 9 }, () => poolAfter(100));
    const first = await Promise.race([long.then(() => 'long'), Promise.all(shorts).then(() => 'shorts')]);
    assert.equal(first, 'shorts', 'short tasks waited behind the long one');
    const longPool = await long;
    assert.ok((await Promise.all(shorts)).some((pool) => pool !== longPool), 'the other manager ran short tasks');
  } finally {
    await stopHtex(run);
  }
});
