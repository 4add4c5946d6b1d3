/**
 * A LocalProvider block that reaches a walltime the user set ends there, is not a failed
 * block, and is replaced by the strategy; the tasks it was running are retried. Real blocks
 * running real `parsl-ts worker-pool` managers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app } from '../../src/index.js';
import { LocalProvider } from '../../src/providers/local.js';
import { SimpleLauncher } from '../../src/providers/launchers/simple.js';
import { Logger } from '../../src/util/logger.js';
import { tempDir } from '../helpers.js';
import { startHtex, stopHtex } from './htex-helpers.js';

const napThenPool = app(async function napThenPool(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return process.env.PARSL_WORKER_POOL_ID;
});

test('a block ends at its walltime, counts as timed out (not failed), and a new block finishes the retried tasks', { timeout: 120_000 }, async () => {
  const run = await startHtex({ maxWorkersPerNode: 2 }, { initBlocks: 1, maxBlocks: 1, walltime: '00:00:03' },
    { retries: 3, strategy: 'simple', strategyPeriod: 0.2 });
  try {
    // 10 × 1 s on 2 workers: 5 s of work, more than one block's 3 s.
    const pools = await Promise.all(Array.from({ length: 10 }, () => napThenPool(1000)));
    assert.ok(pools.every((pool) => typeof pool === 'string'), String(pools));
    const blocks = run.executor.blocks();
    assert.ok(blocks.length >= 2, `a new block was started: ${JSON.stringify(blocks)}`);
    assert.equal(blocks[0]!.state, 'timeout', JSON.stringify(blocks[0]));
    assert.match(blocks[0]!.message ?? '', /walltime 00:00:03/);
    assert.ok(blocks.every((b) => b.state !== 'failed'), JSON.stringify(blocks));
    assert.equal(run.executor.badState, undefined);
  } finally {
    await stopHtex(run);
  }
});

test('a LocalProvider block that ends on its own in the last 10% of its walltime (its manager drained for the walltime) is timeout; one that ends earlier is completed', { timeout: 60_000 }, async () => {
  // Walltime 4 s: an HTEX manager stops taking tasks 0.4 s before it and exits once its tasks are done.
  const provider = new LocalProvider({ launcher: new SimpleLauncher(), walltime: '00:00:04' });
  provider.start({ runDir: tempDir(), logger: new Logger(undefined) });
  try {
    const drained = await provider.submit('sleep 3.75; exit 0', 1, 'drained');
    const early = await provider.submit('sleep 1; exit 0', 1, 'early');
    const ended = async (jobId: string) => {
      for (;;) {
        const [status] = await provider.status([jobId]);
        if (status!.state !== 'running' && status!.state !== 'pending') return status!;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const [drainedStatus, earlyStatus] = await Promise.all([ended(drained), ended(early)]);
    assert.equal(earlyStatus.state, 'completed', JSON.stringify(earlyStatus));
    assert.equal(drainedStatus.state, 'timeout', JSON.stringify(drainedStatus));
    assert.match(drainedStatus.message ?? '', /walltime 00:00:04/);
  } finally {
    await provider.shutdown();
  }
});
