// The strategy and block bookkeeping with a real LocalProvider: blocks are real process
// groups (a `sleep` stands in for the worker pool; tasks run on threads), driven through
// the DataFlowKernel as a user's config would.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, load, ExecutorError, LocalProvider, ThreadPoolExecutor } from '../../src/index.js';
import { BlockProviderExecutor } from '../../src/executors/block-provider-executor.js';
import type { ExecutorContext, ExecutorStatus, ExecutorTask } from '../../src/executors/executor.js';
import { processGroupAlive } from '../../src/providers/local.js';
import { Logger } from '../../src/util/logger.js';

/** Runs tasks on threads, but holds real LocalProvider blocks that the strategy scales. */
class SleeperBlockExecutor extends BlockProviderExecutor {
  readonly #threads = new ThreadPoolExecutor({ label: 'inner', maxThreads: 2 });
  #outstanding = 0;
  failures: Error[] = [];

  constructor(provider: LocalProvider, readonly command = 'sleep 300') {
    super('sleepers', provider);
  }

  async start(context: ExecutorContext): Promise<void> {
    await this.#threads.start({ ...context, deliver: (taskId, tryId, outcome) => { this.#outstanding--; context.deliver(taskId, tryId, outcome); } });
    await this.startBlocks(context);
  }
  submit(task: ExecutorTask): void { this.#outstanding++; this.#threads.submit(task); }
  cancel(taskId: number): boolean { return this.#threads.cancel(taskId); }
  status(): ExecutorStatus { return { ...this.#threads.status(), label: this.label, kind: 'sleepers' }; }
  async shutdown(): Promise<void> { await this.shutdownBlocks(); await this.#threads.shutdown(); }
  protected launchCommand(blockId: string): string { return `${this.command} # block ${blockId}`; }
  protected tasksPerNode(): number { return 1; }
  outstanding(): number { return this.#outstanding; }
  workersPerBlock(): number { return 1; }
  idleSince(): number | undefined { return undefined; }
  protected blockRegistered(): boolean { return false; }
  protected holdBlock(): void {}
  protected onAllBlocksFailed(error: Error): void { this.failures.push(error); }
}

/** Waits until the file exists (runs on a worker thread). */
export const waitForFile = app(async function waitForFile(path: string) {
  const fs = await import('node:fs');
  while (!fs.existsSync(path)) await new Promise((done) => setTimeout(done, 20));
  return path;
});

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

const liveJobIds = (executor: BlockProviderExecutor) =>
  executor.blocks().filter((b) => b.state === 'running' || b.state === 'pending').map((b) => b.jobId!);

describe('strategy with a real LocalProvider', () => {
  it("'simple' scales out for waiting tasks and back in once idle, leaving no process", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-strategy-'));
    const executor = new SleeperBlockExecutor(new LocalProvider({ initBlocks: 0, maxBlocks: 2, statusPollingInterval: 50 }));
    const dfk = await load({ executors: [executor], runDir: join(dir, 'runinfo'), strategy: 'simple', strategyPeriod: 0.05, maxIdletime: 0.2 });
    const jobIds = new Set<string>();
    try {
      const go = join(dir, 'go');
      const tasks = [waitForFile(go), waitForFile(go)];
      await until(() => executor.blocks().filter((b) => b.state === 'running').length === 2, 'two running blocks');
      for (const id of liveJobIds(executor)) jobIds.add(id);
      assert.ok([...jobIds].every((id) => processGroupAlive(Number(id))), 'each block is a live process group');
      writeFileSync(go, '');
      assert.deepEqual(await Promise.all(tasks), [go, go]);
      await until(() => executor.liveBlockCount() === 0, 'the idle blocks to be scaled in');
      assert.deepEqual(executor.blocks().map((b) => b.state), ['cancelled', 'cancelled']);
      assert.ok([...jobIds].every((id) => !processGroupAlive(Number(id))), 'no block process is left');
      assert.ok(existsSync(join(dfk.runDir, 'submit_scripts')));
    } finally {
      await dfk.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cleanup cancels blocks that are still running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-strategy-'));
    const executor = new SleeperBlockExecutor(new LocalProvider({ initBlocks: 2, maxBlocks: 2, statusPollingInterval: 50 }));
    const dfk = await load({ executors: [executor], runDir: join(dir, 'runinfo'), strategy: 'simple', strategyPeriod: 0.05, maxIdletime: 3600 });
    const jobIds = liveJobIds(executor);
    try {
      assert.equal(jobIds.length, 2);
      assert.ok(jobIds.every((id) => processGroupAlive(Number(id))));
    } finally {
      await dfk.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(jobIds.every((id) => !processGroupAlive(Number(id))), 'cleanup leaves no block process');
  });

  it('a block whose command fails makes the executor fail with the block stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-strategy-'));
    const executor = new SleeperBlockExecutor(new LocalProvider({ initBlocks: 1, statusPollingInterval: 50 }), 'parsl-ts-no-such-worker-pool --port 1');
    await executor.start({ runDir: dir, logger: new Logger(undefined), deliver: () => undefined });
    try {
      await until(() => executor.failures.length > 0, 'the block error handler');
      const error = executor.failures[0]!;
      assert.ok(error instanceof ExecutorError);
      assert.match(error.message, /exit code 127/);
      assert.match(error.message, /parsl-ts-no-such-worker-pool: command not found/);
    } finally {
      await executor.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
