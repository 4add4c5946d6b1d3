/**
 * A block that ends — even with exit code 0 — before any manager of it registered is a
 * start failure: tasks fail with an ExecutorError naming the block and carrying its stderr,
 * after a bounded number of blocks, instead of waiting forever. Real LocalProvider blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, ExecutorError } from '../../src/index.js';
import { startHtex, stopHtex } from './htex-helpers.js';

const double = app(function double(x: number) { return 2 * x; });

for (const maxBlocks of [1, 2]) {
  test(`maxBlocks ${maxBlocks}: a block that exits 0 without connecting fails the tasks with its stderr, no hang`, { timeout: 60_000 }, async () => {
    const run = await startHtex({}, { initBlocks: 1, maxBlocks, workerInit: 'echo broken >&2; exit 0' },
      { strategy: 'simple', strategyPeriod: 0.1, retries: 2 });
    try {
      const futures = Array.from({ length: 4 }, (_, i) => double(i));
      for (const future of futures) {
        await assert.rejects(future, (error: Error) => {
          assert.ok(error instanceof ExecutorError, String(error));
          assert.match(error.message, /block \d+ \(job \d+\) completed/);
          assert.match(error.message, /broken/);
          return true;
        });
      }
      const blocks = run.executor.blocks();
      assert.ok(blocks.length <= maxBlocks + 1, `a bounded number of blocks: ${JSON.stringify(blocks)}`);
      assert.ok(blocks.every((b) => b.state === 'completed' && !b.registered), JSON.stringify(blocks));
    } finally {
      await stopHtex(run);
    }
  });
}
