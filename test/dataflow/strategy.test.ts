import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Strategy, type StrategyOptions } from '../../src/dataflow/strategy.js';
import type { StrategyName } from '../../src/config/config.js';
import type { Executor } from '../../src/executors/executor.js';
import { MemoryLogger, startedExecutor, type FakeProviderSettings } from '../providers/fake-block-executor.js';

/** A strategy over one fake executor, with a clock the test moves. */
async function setup(strategy: StrategyName, settings: FakeProviderSettings, options: Partial<StrategyOptions> = {}) {
  const fake = await startedExecutor(settings);
  const clock = { now: 1_000_000 };
  const logger = new MemoryLogger();
  const plan = new Strategy([fake.executor], { strategy, strategyPeriod: 5, maxIdletime: 60, logger, now: () => clock.now, ...options });
  return { ...fake, plan, clock, logger, done: () => fake.executor.shutdown() };
}

describe("strategy 'none'", () => {
  it('keeps only the initial blocks, whatever the load', async () => {
    const s = await setup('none', { initBlocks: 1, maxBlocks: 10 });
    try {
      s.executor.outstandingTasks = 100;
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 1);
    } finally { await s.done(); }
  });
});

describe("strategy 'simple'", () => {
  it('scales out to ceil(outstanding × parallelism / workersPerBlock) blocks', async () => {
    const s = await setup('simple', { initBlocks: 1, maxBlocks: 10 });
    try {
      s.executor.slotsPerBlock = 2;
      s.executor.outstandingTasks = 5;
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 3);
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 3, 'pending blocks count: no second scale out for the same load');
    } finally { await s.done(); }
  });

  it('never goes beyond maxBlocks', async () => {
    const s = await setup('simple', { initBlocks: 0, maxBlocks: 2 });
    try {
      s.executor.slotsPerBlock = 1;
      s.executor.outstandingTasks = 50;
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 2);
    } finally { await s.done(); }
  });

  it('provisions for a fraction of the tasks with parallelism < 1, but at least one block', async () => {
    const half = await setup('simple', { initBlocks: 0, maxBlocks: 10, parallelism: 0.5 });
    try {
      half.executor.slotsPerBlock = 2;
      half.executor.outstandingTasks = 8;
      await half.plan.strategize();
      assert.equal(half.executor.liveBlockCount(), 2);
    } finally { await half.done(); }
    const zero = await setup('simple', { initBlocks: 0, maxBlocks: 10, parallelism: 0 });
    try {
      zero.executor.outstandingTasks = 8;
      await zero.plan.strategize();
      assert.equal(zero.executor.liveBlockCount(), 1);
    } finally { await zero.done(); }
  });

  it('scales in to minBlocks only after no task for maxIdletime', async () => {
    const s = await setup('simple', { initBlocks: 3, minBlocks: 1, maxBlocks: 3 });
    try {
      for (const job of ['job-100', 'job-101', 'job-102']) s.provider.set(job, 'running');
      s.executor.outstandingTasks = 0;
      await s.plan.strategize(); // starts the idle timer
      s.clock.now += 59_000;
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 3, 'not idle long enough');
      s.clock.now += 2_000;
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 1);
      assert.deepEqual(s.executor.held.length, 2, 'blocks are held before they are cancelled');
      assert.ok(s.logger.lines.some((l) => /scaling in block\(s\)/.test(l)));
    } finally { await s.done(); }
  });

  it('a task arriving resets the idle timer', async () => {
    const s = await setup('simple', { initBlocks: 2, maxBlocks: 2 });
    try {
      await s.plan.strategize();
      s.clock.now += 50_000;
      s.executor.outstandingTasks = 1;
      await s.plan.strategize();
      s.executor.outstandingTasks = 0;
      await s.plan.strategize();
      s.clock.now += 50_000;
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 2);
    } finally { await s.done(); }
  });

  it('does not scale in single idle blocks while tasks run elsewhere', async () => {
    const s = await setup('simple', { initBlocks: 2, maxBlocks: 2 });
    try {
      s.executor.slotsPerBlock = 1;
      s.executor.outstandingTasks = 1;
      s.executor.idle.set('1', s.clock.now - 600_000);
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 2);
    } finally { await s.done(); }
  });

  it('replaces ended blocks to keep minBlocks', async () => {
    const s = await setup('simple', { initBlocks: 2, minBlocks: 2, maxBlocks: 4 });
    try {
      s.provider.set('job-100', 'completed', { exitCode: 0 });
      await s.executor.pollBlocks();
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 2);
      assert.equal(s.provider.submitted.length, 3);
    } finally { await s.done(); }
  });

  it('replaces a block whose managers registered and then ended, while tasks are outstanding', async () => {
    const s = await setup('simple', { initBlocks: 1, minBlocks: 0, maxBlocks: 1 });
    try {
      s.executor.registered.add('0');
      s.executor.outstandingTasks = 3;
      s.provider.set('job-100', 'failed', { exitCode: 137 }); // its manager was killed
      await s.plan.strategize();
      assert.equal(s.executor.badState, undefined);
      assert.deepEqual(s.executor.blocks().map((b) => [b.blockId, b.state]), [['0', 'failed'], ['1', 'pending']]);
      s.executor.registered.add('1');
      s.provider.set('job-101', 'timeout');
      await s.executor.pollBlocks(); // the fake provider's polling interval is a minute: poll by hand
      await s.plan.strategize();
      assert.equal(s.provider.submitted.length, 3, 'a block that reached its walltime is replaced too');
    } finally { await s.done(); }
  });

  it('stops once max(1, maxBlocks) blocks in a row ended without a manager registering', async () => {
    const s = await setup('simple', { initBlocks: 1, maxBlocks: 2 });
    try {
      s.executor.slotsPerBlock = 1;
      s.executor.outstandingTasks = 10;
      for (let pass = 0; pass < 10 && s.executor.badState === undefined; pass++) {
        await s.plan.strategize();
        for (const { jobId } of s.provider.submitted) s.provider.set(jobId, 'completed', { exitCode: 0 });
        await s.executor.pollBlocks();
      }
      assert.ok(s.executor.badState, 'the executor gave up');
      assert.ok(s.provider.submitted.length <= 3, `a bounded number of blocks: ${s.provider.submitted.length}`);
    } finally { await s.done(); }
  });

  it('leaves an executor alone once all its blocks failed', async () => {
    const s = await setup('simple', { initBlocks: 1, maxBlocks: 4 });
    try {
      s.provider.set('job-100', 'failed', { exitCode: 1 });
      await s.executor.pollBlocks();
      assert.ok(s.executor.badState);
      s.executor.outstandingTasks = 10;
      await s.plan.strategize();
      assert.equal(s.provider.submitted.length, 1);
    } finally { await s.done(); }
  });
});

describe("strategy 'htexAutoScale'", () => {
  it('scales in a block idle for maxIdletime while other blocks still run tasks', async () => {
    const s = await setup('htexAutoScale', { initBlocks: 3, maxBlocks: 3 });
    try {
      s.executor.slotsPerBlock = 1;
      s.executor.outstandingTasks = 1;
      s.executor.idle.set('1', s.clock.now - 61_000);
      s.executor.idle.set('2', s.clock.now - 10_000); // idle, but not for long enough
      await s.plan.strategize();
      assert.deepEqual(s.executor.held, ['1']);
      assert.deepEqual(s.executor.blocks().map((b) => b.state), ['pending', 'cancelled', 'pending']);
    } finally { await s.done(); }
  });

  it('scales out like simple', async () => {
    const s = await setup('htexAutoScale', { initBlocks: 0, maxBlocks: 5 });
    try {
      s.executor.slotsPerBlock = 4;
      s.executor.outstandingTasks = 9;
      await s.plan.strategize();
      assert.equal(s.executor.liveBlockCount(), 3);
    } finally { await s.done(); }
  });
});

describe('the strategy loop', () => {
  it('runs every strategyPeriod and stops before executors shut down', async () => {
    const s = await setup('simple', { initBlocks: 0, maxBlocks: 2 }, { strategyPeriod: 0.02, now: Date.now });
    try {
      s.executor.outstandingTasks = 2;
      s.executor.slotsPerBlock = 1;
      s.plan.start();
      const deadline = Date.now() + 10_000;
      while (s.executor.liveBlockCount() < 2 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 10));
      assert.equal(s.executor.liveBlockCount(), 2);
      await s.plan.stop();
      s.executor.outstandingTasks = 0;
      const submitted = s.provider.submitted.length;
      await new Promise((done) => setTimeout(done, 60));
      assert.equal(s.provider.submitted.length, submitted, 'no pass after stop');
    } finally { await s.done(); }
  });

  it('ignores executors that do not manage blocks', async () => {
    const plain = { label: 'threads', start: async () => {}, submit: () => {}, cancel: () => false, shutdown: async () => {}, status: () => ({ label: 'threads', kind: 'x', queued: 0, running: 0, workers: 0 }) } satisfies Executor;
    const plan = new Strategy([plain], { strategy: 'simple', strategyPeriod: 1, maxIdletime: 1, logger: new MemoryLogger() });
    plan.start();
    await plan.strategize();
    await plan.stop();
  });
});
