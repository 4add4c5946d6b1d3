import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutorError } from '../../src/errors.js';
import { FakeBlockExecutor, FakeProvider, fakeContext, startedExecutor } from './fake-block-executor.js';

describe('BlockProviderExecutor: starting and scaling blocks', () => {
  it('starts the provider and submits initBlocks launcher-wrapped worker-pool commands', async () => {
    const { provider, executor, context } = await startedExecutor({ initBlocks: 2, nodesPerBlock: 3 });
    try {
      assert.equal(provider.started?.runDir, context.runDir);
      assert.deepEqual(provider.submitted.map((s) => s.command), [
        'launch[1x3] worker-pool --block-id 0', 'launch[1x3] worker-pool --block-id 1']);
      assert.deepEqual(provider.submitted.map((s) => s.jobName), ['parsl.fake-htex.block-0', 'parsl.fake-htex.block-1']);
      assert.deepEqual(executor.blocks().map((b) => [b.blockId, b.jobId, b.state]), [['0', 'job-100', 'pending'], ['1', 'job-101', 'pending']]);
      assert.ok(context.logger.lines.some((l) => /block 0 submitted as job job-100/.test(l)));
    } finally {
      await executor.shutdown();
    }
  });

  it('scaleOut never goes beyond maxBlocks live blocks', async () => {
    const { provider, executor } = await startedExecutor({ initBlocks: 1, maxBlocks: 3 });
    try {
      assert.deepEqual(await executor.scaleOut(5), ['1', '2']);
      assert.deepEqual(await executor.scaleOut(1), []);
      provider.set('job-100', 'completed');
      await executor.pollBlocks();
      assert.deepEqual(await executor.scaleOut(1), ['3'], 'an ended block frees its place');
    } finally {
      await executor.shutdown();
    }
  });

  it('scaleIn holds a block before cancelling it, and never goes below minBlocks', async () => {
    const { provider, executor } = await startedExecutor({ initBlocks: 3, minBlocks: 1, maxBlocks: 3 });
    try {
      await executor.scaleIn(['0', '1', '2']);
      assert.deepEqual(provider.events, ['hold 0', 'hold 1', 'cancel job-100', 'cancel job-101']);
      assert.deepEqual(executor.blocks().map((b) => b.state), ['cancelled', 'cancelled', 'pending']);
      await executor.scaleIn(['2', 'no-such-block']);
      assert.equal(executor.liveBlockCount(), 1);
    } finally {
      await executor.shutdown();
    }
  });

  it('tracks block states from provider status and logs the transitions', async () => {
    const { provider, executor, context } = await startedExecutor({ initBlocks: 1 });
    try {
      provider.set('job-100', 'running');
      await executor.pollBlocks();
      assert.equal(executor.blocks()[0]!.state, 'running');
      provider.set('job-100', 'completed', { exitCode: 0 });
      await executor.pollBlocks();
      assert.equal(executor.blocks()[0]!.state, 'completed');
      assert.ok(context.logger.lines.some((l) => l.includes('block 0 (job job-100) pending -> running')), context.logger.lines.join('\n'));
      assert.ok(context.logger.lines.some((l) => l.includes('block 0 (job job-100) running -> completed')));
    } finally {
      await executor.shutdown();
    }
  });

  it('shutdown cancels every live block, waits for submits in flight, and shuts the provider down once', async () => {
    const provider = new FakeProvider({ initBlocks: 1 });
    const executor = new FakeBlockExecutor(provider);
    await executor.start(fakeContext());
    let release!: () => void;
    provider.gate = new Promise((done) => { release = done; });
    const inFlight = executor.scaleOut(1);
    const shutdown = executor.shutdown();
    release();
    await Promise.all([inFlight, shutdown, executor.shutdown()]);
    assert.deepEqual(provider.cancelled.sort(), ['job-100', 'job-101']);
    assert.equal(provider.shutDown, 1);
    assert.deepEqual(await executor.scaleOut(1), [], 'no blocks after shutdown');
  });
});

describe('BlockProviderExecutor: the block error handler', () => {
  it('fails waiting tasks with an ExecutorError showing the stderr of the failed blocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-blocks-'));
    const { provider, executor } = await startedExecutor({ initBlocks: 2, maxBlocks: 2 });
    try {
      const stderrPath = join(dir, 'block.stderr');
      writeFileSync(stderrPath, 'bash: parsl-ts: command not found\n');
      provider.set('job-100', 'failed', { exitCode: 127, stderrPath });
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 0, 'one block is still pending');
      provider.set('job-101', 'failed', { exitCode: 127, stderrPath });
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 1);
      const error = executor.failedWith[0]!;
      assert.ok(error instanceof ExecutorError);
      assert.equal(error.label, 'fake-htex');
      assert.match(error.message, /all 2 block\(s\) failed/);
      assert.match(error.message, /exit code 127/);
      assert.match(error.message, /bash: parsl-ts: command not found/);
      assert.equal(executor.badState, error);
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 1, 'reported once');
      assert.deepEqual(await executor.scaleOut(1), [], 'a failed executor gets no new blocks');
    } finally {
      await executor.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not fire while a block runs, nor for blocks cancelled on purpose', async () => {
    const { provider, executor } = await startedExecutor({ initBlocks: 2, maxBlocks: 3 });
    try {
      provider.set('job-100', 'failed');
      provider.set('job-101', 'running');
      await executor.pollBlocks();
      await executor.scaleIn(['1']);
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 1, 'the only block not cancelled has failed');
    } finally {
      await executor.shutdown();
    }
    const second = await startedExecutor({ initBlocks: 2, maxBlocks: 2 });
    try {
      second.provider.set('job-100', 'failed');
      second.provider.set('job-101', 'running');
      await second.executor.pollBlocks();
      assert.equal(second.executor.failedWith.length, 0);
    } finally {
      await second.executor.shutdown();
    }
  });

  it('a block whose managers registered and then ended, in any terminal state, is not a start failure', async () => {
    for (const [state, extra] of [['failed', { exitCode: 137 }], ['completed', { exitCode: 0 }], ['timeout', {}], ['missing', {}]] as const) {
      const { provider, executor } = await startedExecutor({ initBlocks: 1, maxBlocks: 1 });
      try {
        executor.registered.add('0');
        provider.set('job-100', state, extra);
        await executor.pollBlocks();
        assert.equal(executor.blocks()[0]!.state, state);
        assert.equal(executor.blocks()[0]!.registered, true);
        assert.equal(executor.failedWith.length, 0, `a registered block that ended ${state} leaves the executor usable`);
        assert.equal(executor.badState, undefined);
        assert.deepEqual(await executor.scaleOut(1), ['1'], 'and it can be replaced');
      } finally {
        await executor.shutdown();
      }
    }
  });

  it('a block that ends with exit code 0 before any manager registered counts as failed at start, with its stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-blocks-'));
    const { provider, executor } = await startedExecutor({ initBlocks: 1, maxBlocks: 1 });
    try {
      const stderrPath = join(dir, 'block.stderr');
      writeFileSync(stderrPath, 'broken\n');
      provider.set('job-100', 'completed', { exitCode: 0, stderrPath });
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 1);
      assert.match(executor.failedWith[0]!.message, /block 0 \(job job-100\) completed/);
      assert.match(executor.failedWith[0]!.message, /no manager/);
      assert.match(executor.failedWith[0]!.message, /broken/);
    } finally {
      await executor.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails tasks once the last max(1, maxBlocks) ended blocks all failed at start, and not while a registered block lives', async () => {
    const { provider, executor } = await startedExecutor({ initBlocks: 3, maxBlocks: 3 });
    try {
      executor.registered.add('0');
      provider.set('job-100', 'failed', { exitCode: 137 }); // lost after it worked
      provider.set('job-101', 'failed', { exitCode: 1 });
      provider.set('job-102', 'completed', { exitCode: 0 });
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 0, 'only 2 start failures in a row');
      await executor.scaleOut(2); // blocks 3 and 4
      provider.set('job-103', 'failed', { exitCode: 1 });
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 1, 'blocks 1, 2, 3 failed at start in a row; block 4 is pending and never registered');
      assert.match(executor.failedWith[0]!.message, /the last 3 block\(s\) failed at start/);
      assert.match(executor.failedWith[0]!.message, /block 3 /);
      assert.doesNotMatch(executor.failedWith[0]!.message, /block 0 /);
    } finally {
      await executor.shutdown();
    }
    const working = await startedExecutor({ initBlocks: 2, maxBlocks: 2 });
    try {
      working.executor.registered.add('1');
      working.provider.set('job-101', 'running');
      await working.executor.scaleOut(0);
      working.provider.set('job-100', 'failed', { exitCode: 1 });
      await working.executor.pollBlocks();
      await working.executor.scaleOut(1);
      working.provider.set('job-102', 'failed', { exitCode: 1 });
      await working.executor.pollBlocks();
      assert.equal(working.executor.failedWith.length, 0, 'block 1 has a manager: tasks can still run');
    } finally {
      await working.executor.shutdown();
    }
  });

  it("with strategy 'none' (nothing replaces blocks), fails waiting tasks once no block is live", async () => {
    const { provider, executor } = await startedExecutor({ initBlocks: 1, maxBlocks: 1 });
    try {
      executor.registered.add('0');
      executor.outstandingTasks = 2;
      provider.set('job-100', 'completed', { exitCode: 0 });
      await executor.pollBlocks();
      assert.equal(executor.failedWith.length, 1);
      assert.match(executor.failedWith[0]!.message, /no block is left and none will be started/);
    } finally {
      await executor.shutdown();
    }
  });

  it('records a submit that throws as a failed block, with the reason', async () => {
    const provider = new FakeProvider({ initBlocks: 1 });
    provider.failNextSubmit = new Error('sbatch: error: invalid partition');
    const executor = new FakeBlockExecutor(provider);
    await executor.start(fakeContext());
    try {
      assert.equal(executor.blocks()[0]!.state, 'failed');
      assert.equal(executor.failedWith.length, 1);
      assert.match(executor.failedWith[0]!.message, /failed to start block 0: sbatch: error: invalid partition/);
    } finally {
      await executor.shutdown();
    }
  });

  it('can be turned off or replaced', async () => {
    const off = await startedExecutor({ initBlocks: 1 }, { blockErrorHandler: false });
    off.provider.set('job-100', 'failed');
    await off.executor.pollBlocks();
    assert.equal(off.executor.failedWith.length, 0);
    await off.executor.shutdown();

    const seen: string[] = [];
    const custom = await startedExecutor({ initBlocks: 1 }, { blockErrorHandler: (_e, blocks) => seen.push(blocks.map((b) => b.state).join()) });
    custom.provider.set('job-100', 'running');
    await custom.executor.pollBlocks();
    assert.deepEqual(seen.at(-1), 'running');
    await custom.executor.shutdown();
  });
});
