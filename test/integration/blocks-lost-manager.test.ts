/**
 * One lost manager does not end the executor: its block is replaced by the strategy and the
 * lost tasks are retried. Real LocalProvider blocks, real `parsl-ts worker-pool` managers,
 * a real SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app } from '../../src/index.js';
import { startHtex, stopHtex, waitFor } from './htex-helpers.js';

const napThenPool = app(async function napThenPool(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return process.env.PARSL_WORKER_POOL_ID;
});

test('a manager SIGKILLed mid-task: a new block is started and every task still succeeds (retries: 2, minBlocks: 1)', { timeout: 120_000 }, async () => {
  const run = await startHtex({ maxWorkersPerNode: 2 }, { initBlocks: 1, minBlocks: 1, maxBlocks: 1 },
    { retries: 2, strategy: 'simple', strategyPeriod: 0.2 });
  try {
    const futures = Array.from({ length: 8 }, () => napThenPool(500));
    await waitFor(() => (run.executor.managers()[0]?.tasks ?? 0) >= 2, 15_000, 'tasks running on the first manager');
    const victim = run.executor.managers()[0]!;
    process.kill(victim.pid, 'SIGKILL');
    const pools = await Promise.all(futures);
    assert.ok(pools.every((pool) => typeof pool === 'string'), String(pools));
    assert.ok(pools.some((pool) => pool !== victim.managerId), 'tasks ran on the new block\'s manager');
    const blocks = run.executor.blocks();
    assert.ok(blocks.length >= 2, `a second block was started: ${JSON.stringify(blocks)}`);
    assert.equal(blocks[0]!.registered, true);
    assert.ok(blocks[0]!.state !== 'running' && blocks[0]!.state !== 'pending', JSON.stringify(blocks[0]));
    assert.equal(run.executor.badState, undefined);
  } finally {
    await stopHtex(run);
  }
});
