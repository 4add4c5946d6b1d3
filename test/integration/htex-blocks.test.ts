/** Blocks of managers: scaling out and in (by hand and by the strategy), blocks that fail, managers that drain. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, ExecutorError } from '../../src/index.js';
import { htexProcesses, startHtex, stopHtex, waitFor } from './htex-helpers.js';

const poolOf = app(async function poolOf(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return process.env.PARSL_WORKER_POOL_ID;
});

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('scale out adds a block whose manager takes tasks; scale in holds it, lets it finish, and ends it', async () => {
  const run = await startHtex({}, { initBlocks: 1, maxBlocks: 2 }, { strategy: 'none' });
  try {
    assert.ok(await poolOf(0));
    const [added] = await run.executor.scaleOut(1);
    assert.equal(added, '1');
    await waitFor(() => run.executor.managers().length === 2, 15_000, 'a second manager');
    const pools = new Set<string | undefined>();
    for (let round = 0; round < 20 && pools.size < 2; round++) {
      for (const pool of await Promise.all(Array.from({ length: 8 }, () => poolOf(50)))) pools.add(pool);
    }
    assert.equal(pools.size, 2, 'both managers ran tasks');
    const leaving = run.executor.managers().find((m) => m.blockId === '1')!;
    await run.executor.scaleIn(['1']);
    assert.equal(run.executor.blocks().find((b) => b.blockId === '1')!.state, 'cancelled');
    await waitFor(() => run.executor.managers().length === 1 && !alive(leaving.pid), 5000, 'block 1 gone');
    const after = await Promise.all(Array.from({ length: 10 }, () => poolOf(1)));
    assert.ok(after.every((pool) => pool !== leaving.managerId));
  } finally {
    await stopHtex(run);
  }
});

test('elastic: the simple strategy starts blocks for waiting tasks and ends them once idle', async () => {
  const run = await startHtex({}, { initBlocks: 0, minBlocks: 0, maxBlocks: 2 }, { strategy: 'simple', strategyPeriod: 0.2, maxIdletime: 1 });
  try {
    assert.equal(run.executor.blocks().length, 0);
    const pools = await Promise.all(Array.from({ length: 12 }, () => poolOf(100)));
    assert.ok(pools.every((pool) => typeof pool === 'string'));
    assert.ok(run.executor.blocks().length >= 1);
    await waitFor(() => run.executor.blocks().every((b) => b.state === 'cancelled' || b.state === 'completed'), 15_000, 'every block scaled in');
    await waitFor(() => htexProcesses().length === 0, 5000, 'no manager or worker left while idle');
  } finally {
    await stopHtex(run);
  }
});

test('when every block fails, waiting tasks fail with an ExecutorError that carries the block\'s stderr', async () => {
  const run = await startHtex({ workerInit: 'echo "module node/99 not found" >&2; exit 7' }, { initBlocks: 1, maxBlocks: 1 }, { strategy: 'none' });
  try {
    const error = await poolOf(1).then(() => undefined, (e: Error) => e);
    assert.ok(error instanceof ExecutorError, String(error));
    assert.match(error.message, /all 1 block\(s\) failed/);
    assert.match(error.message, /module node\/99 not found/);
    // Later tasks fail at once with the same story.
    await assert.rejects(poolOf(1), (e: Error) => e instanceof ExecutorError && /module node\/99 not found/.test(e.message));
  } finally {
    await stopHtex(run);
  }
});

test('drainPeriod: a manager stops taking tasks, finishes the one it runs, and exits; its block completes', async () => {
  const run = await startHtex({ drainPeriod: 2, maxWorkersPerNode: 1 }, { initBlocks: 1, maxBlocks: 1 }, { strategy: 'none' });
  try {
    const firstPool = await poolOf(0);
    const manager = run.executor.managers()[0]!;
    const spanning = poolOf(2500); // still running when the drain period ends
    assert.equal(await spanning, firstPool);
    await waitFor(() => !alive(manager.pid), 5000, 'the drained manager to exit');
    await waitFor(() => run.executor.blocks()[0]!.state === 'completed', 5000, 'block 0 completed');
    assert.equal(run.executor.managers().length, 0);
  } finally {
    await stopHtex(run);
  }
});
