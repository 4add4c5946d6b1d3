/**
 * Block bookkeeping between a pilot-job executor and its provider (Parsl's
 * `BlockProviderExecutor` in `status_handling.py`): starts the initial blocks, polls their
 * state, scales out and in on the strategy's request, and fails waiting tasks when blocks
 * keep failing at start (the block error handler) instead of letting them hang.
 */
import { readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { ExecutorError } from '../errors.js';
import type { ExecutionProvider, JobState, JobStatus } from '../providers/provider.js';
import type { Executor, ExecutorContext, ExecutorStatus, ExecutorTask } from './executor.js';

/** One block: a unit of resources obtained from the provider by one `submit`. */
export interface BlockRecord {
  blockId: string;
  /** The provider's job id; undefined while the submit is in flight or if it failed. */
  jobId: string | undefined;
  state: JobState;
  /** Milliseconds timestamp of the submit. */
  submittedAt: number;
  message?: string;
  exitCode?: number;
  stdoutPath?: string;
  stderrPath?: string;
  /** The scheduler's own state name and its reason (why it waits), as of the last poll. */
  schedulerState?: string;
  reason?: string;
  /** True once any manager (worker pool) of this block has registered; stays true after it is lost. */
  registered: boolean;
}

/**
 * Decides what to do after each status poll. The default (`simpleBlockErrorHandler`) fails
 * every waiting task once blocks keep failing at start; `false` turns that off.
 */
export type BlockErrorHandler = (executor: BlockProviderExecutor, blocks: BlockRecord[]) => void;

export interface BlockProviderExecutorOptions {
  /** `true` (default): Parsl's simple handler; `false`: none; or your own function. */
  blockErrorHandler?: boolean | BlockErrorHandler;
}

/** States after which a block never runs again. */
export const TERMINAL_BLOCK_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled', 'timeout', 'missing']);

export function isLiveBlock(block: BlockRecord): boolean {
  return !TERMINAL_BLOCK_STATES.has(block.state);
}

/**
 * A block that ended — failed, completed, timed out or went missing, but not cancelled by
 * parsl-ts — before any of its managers registered: it never ran a task, and a replacement
 * made the same way would likely do no better.
 */
export function failedAtStart(block: BlockRecord): boolean {
  return !isLiveBlock(block) && block.state !== 'cancelled' && !block.registered;
}

/** How much of a failed block's stderr goes into the error message. */
const STDERR_TAIL_BYTES = 2048;

/** The last `maxBytes` of a file, or undefined if it cannot be read or is empty. */
export function tailOfFile(path: string | undefined, maxBytes = STDERR_TAIL_BYTES): string | undefined {
  if (path === undefined) return undefined;
  try {
    const size = statSync(path).size;
    if (size === 0) return undefined;
    if (size <= maxBytes) return readFileSync(path, 'utf8').trimEnd();
    const buffer = Buffer.alloc(maxBytes);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, maxBytes, size - maxBytes);
    } finally {
      closeSync(fd);
    }
    return `…${buffer.toString('utf8').trimEnd()}`;
  } catch {
    return undefined;
  }
}

/** A readable account of why blocks failed: state, message, exit code and stderr tail. */
export function describeFailedBlocks(blocks: BlockRecord[]): string {
  return blocks.map((block) => {
    const parts = [`block ${block.blockId}${block.jobId === undefined ? '' : ` (job ${block.jobId})`} ${block.state}`];
    if (block.exitCode !== undefined) parts.push(`exit code ${block.exitCode}`);
    if (block.message) parts.push(block.message);
    if (block.jobId !== undefined && !block.registered) parts.push('no manager of it ever registered');
    let text = parts.join(': ');
    const stderr = tailOfFile(block.stderrPath);
    if (stderr !== undefined) text += `\n  stderr (${block.stderrPath}):\n    ${stderr.split('\n').join('\n    ')}`;
    else if (block.stderrPath !== undefined) text += `\n  stderr (${block.stderrPath}) is empty`;
    return text;
  }).join('\n');
}

/**
 * The default block error handler: fails the executor's waiting tasks (and later ones) when
 * blocks keep failing at start, and only then. A block that had a registered manager and
 * then ended (manager lost, walltime, drained) is no reason to give up: the strategy
 * replaces it. It fires when
 * - the last max(1, maxBlocks) ended blocks (cancelled ones aside) all failed at start and
 *   no live block has a registered manager, or every block so far failed at start and none
 *   is live (fewer blocks than that window were ever started); or
 * - no block is live, tasks are waiting, and no strategy replaces blocks (strategy 'none').
 */
export function simpleBlockErrorHandler(executor: BlockProviderExecutor, blocks: BlockRecord[]): void {
  const live = blocks.filter(isLiveBlock);
  const ended = blocks.filter((b) => !isLiveBlock(b) && b.state !== 'cancelled');
  const window = Math.max(1, executor.provider.maxBlocks);
  const recent = ended.slice(-window);
  if (recent.length > 0 && recent.every(failedAtStart) && !live.some((b) => b.registered)
    && (recent.length === window || live.length === 0)) {
    const which = recent.length === blocks.filter((b) => b.state !== 'cancelled').length ? `all ${recent.length}` : `the last ${recent.length}`;
    executor.failAllBlocks(`${which} block(s) failed at start (ended before any manager registered), no worker can run tasks:\n${describeFailedBlocks(recent)}`);
    return;
  }
  if (live.length === 0 && ended.length > 0 && !executor.strategyReplacesBlocks && executor.outstanding() > 0) {
    executor.failAllBlocks(`no block is left and none will be started (strategy 'none'), so no worker can run tasks:\n${describeFailedBlocks(ended.slice(-window))}`);
  }
}

export abstract class BlockProviderExecutor implements Executor {
  readonly label: string;
  readonly provider: ExecutionProvider;
  protected context: ExecutorContext | undefined;

  #blocks = new Map<string, BlockRecord>();
  #byJobId = new Map<string, BlockRecord>();
  #nextBlockId = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #lastPollAt = 0;
  #submitsInFlight = new Set<Promise<unknown>>();
  #blocksShutDown = false;
  #shutdownBlocksPromise: Promise<void> | undefined;
  #badState: ExecutorError | undefined;
  #errorHandler: BlockErrorHandler | undefined;
  /**
   * Whether a scaling strategy replaces blocks that end while work remains (set by the
   * strategy unless it is 'none'). Without one, an executor left with no block cannot
   * make progress, and the block error handler says so.
   */
  strategyReplacesBlocks = false;

  constructor(label: string, provider: ExecutionProvider, options: BlockProviderExecutorOptions = {}) {
    this.label = label;
    this.provider = provider;
    const handler = options.blockErrorHandler ?? true;
    this.#errorHandler = handler === true ? simpleBlockErrorHandler : handler === false ? undefined : handler;
  }

  abstract start(context: ExecutorContext): Promise<void>;
  abstract submit(task: ExecutorTask): void;
  abstract cancel(taskId: number): boolean;
  abstract status(): ExecutorStatus;
  abstract shutdown(): Promise<void>;
  /** The worker-pool command for one node of block `blockId`, before launcher wrapping. */
  protected abstract launchCommand(blockId: string): string;
  /** Copies of the launch command the launcher starts per node (1 for htex). */
  protected abstract tasksPerNode(): number;
  /** Tasks queued plus running. */
  abstract outstanding(): number;
  /** Worker slots one block provides. */
  abstract workersPerBlock(): number;
  /** Milliseconds timestamp since which the block's managers hold no task; undefined if busy or unknown. */
  abstract idleSince(blockId: string): number | undefined;
  /** Whether any manager of the block has ever registered (true even after it is lost). */
  protected abstract blockRegistered(blockId: string): boolean;
  /** Scale-in step 1: stop giving tasks to that block. */
  protected abstract holdBlock(blockId: string): Promise<void> | void;
  /** Fail every waiting task with `error`: no block can run them. */
  protected abstract onAllBlocksFailed(error: Error): void;

  /** Set once the block error handler has given up on this executor. */
  get badState(): ExecutorError | undefined {
    return this.#badState;
  }

  /** Every block submitted so far, oldest first (copies). */
  blocks(): BlockRecord[] {
    return [...this.#blocks.values()].map((block) => {
      if (!block.registered && block.jobId !== undefined) block.registered = this.blockRegistered(block.blockId);
      return { ...block };
    });
  }

  /** Blocks that are pending, running or otherwise not ended. */
  liveBlockCount(): number {
    let count = 0;
    for (const block of this.#blocks.values()) if (isLiveBlock(block)) count++;
    return count;
  }

  /** Provider start, the initial blocks, then status polling. Subclasses call it from `start`. */
  protected async startBlocks(context: ExecutorContext): Promise<void> {
    this.context = context;
    await this.provider.start?.({ runDir: context.runDir, logger: context.logger });
    if (this.provider.initBlocks > 0) {
      this.#log('info', `starting ${this.provider.initBlocks} initial block(s)`);
      await this.scaleOut(this.provider.initBlocks);
    }
    const interval = Math.max(10, this.provider.statusPollingInterval);
    this.#pollTimer = setInterval(() => void this.pollBlocks(), interval);
    this.#pollTimer.unref();
  }

  /**
   * Submits up to `count` blocks, never more than `maxBlocks` live at once; returns the ids
   * of the blocks the provider accepted. A failed submit is recorded as a failed block.
   */
  async scaleOut(count: number): Promise<string[]> {
    if (this.#blocksShutDown || this.context === undefined || this.#badState !== undefined) return [];
    const room = Math.max(0, this.provider.maxBlocks - this.liveBlockCount());
    const wanted = Math.min(Math.max(0, Math.floor(count)), room);
    if (wanted < count) this.#log('debug', `scale out: ${count} block(s) asked, ${wanted} allowed by maxBlocks ${this.provider.maxBlocks}`);
    const submits: Promise<string | undefined>[] = [];
    for (let i = 0; i < wanted; i++) submits.push(this.#submitBlock());
    const ids = await Promise.all(submits);
    if (ids.some((id) => id === undefined)) this.#runErrorHandler();
    return ids.filter((id): id is string => id !== undefined);
  }

  async #submitBlock(): Promise<string | undefined> {
    const blockId = String(this.#nextBlockId++);
    const block: BlockRecord = { blockId, jobId: undefined, state: 'pending', submittedAt: Date.now(), registered: false };
    this.#blocks.set(blockId, block); // counted against maxBlocks from now on
    const submit = (async () => {
      const command = this.provider.launcher.wrap(this.launchCommand(blockId), this.tasksPerNode(), this.provider.nodesPerBlock);
      const jobName = `parsl.${this.label}.block-${blockId}`;
      return this.provider.submit(command, this.tasksPerNode(), jobName);
    })();
    this.#submitsInFlight.add(submit);
    try {
      const jobId = await submit;
      block.jobId = jobId;
      this.#byJobId.set(jobId, block);
      this.#log('info', `block ${blockId} submitted as job ${jobId}`);
      this.#recordBlock(block);
      return blockId;
    } catch (error) {
      block.state = 'failed';
      block.message = `failed to start block ${blockId}: ${(error as Error).message}`;
      this.#log('error', block.message);
      this.#recordBlock(block);
      return undefined;
    } finally {
      this.#submitsInFlight.delete(submit);
    }
  }

  /**
   * Ends the given blocks: first stops sending them tasks (`holdBlock`), then cancels their
   * jobs. Never leaves fewer than `minBlocks` live blocks; unknown or ended ids are skipped.
   */
  async scaleIn(blockIds: string[]): Promise<void> {
    if (this.#blocksShutDown) return;
    const live = [...new Set(blockIds)]
      .map((id) => this.#blocks.get(id))
      .filter((b): b is BlockRecord => b !== undefined && isLiveBlock(b) && b.jobId !== undefined);
    const allowed = Math.max(0, this.liveBlockCount() - this.provider.minBlocks);
    const chosen = live.slice(0, allowed);
    if (chosen.length < live.length) this.#log('debug', `scale in: ${live.length} block(s) asked, ${chosen.length} allowed by minBlocks ${this.provider.minBlocks}`);
    if (chosen.length === 0) return;
    for (const block of chosen) await this.holdBlock(block.blockId);
    await this.#cancelBlocks(chosen, 'scale in');
  }

  async #cancelBlocks(blocks: BlockRecord[], reason: string): Promise<void> {
    const withJobs = blocks.filter((b) => b.jobId !== undefined);
    if (withJobs.length === 0) return;
    let results: boolean[];
    try {
      results = await this.provider.cancel(withJobs.map((b) => b.jobId!));
    } catch (error) {
      this.#log('error', `${reason}: cancelling blocks ${withJobs.map((b) => b.blockId).join(', ')} failed: ${(error as Error).message}`);
      return;
    }
    withJobs.forEach((block, i) => {
      if (results[i]) this.#transition(block, { state: 'cancelled', message: reason });
      else this.#log('warn', `${reason}: provider could not cancel block ${block.blockId} (job ${block.jobId})`);
    });
  }

  /**
   * Asks the provider for the state of every live block, logs transitions, then runs the
   * block error handler. `minAgeMs`: skip if the last poll is more recent than that.
   */
  pollBlocks(minAgeMs = 0): Promise<void> {
    if (this.#polling) return this.#polling;
    if (this.#blocksShutDown || Date.now() - this.#lastPollAt < minAgeMs) return Promise.resolve();
    this.#polling = this.#poll().finally(() => {
      this.#polling = undefined;
      this.#lastPollAt = Date.now();
    });
    return this.#polling;
  }

  async #poll(): Promise<void> {
    const live = [...this.#blocks.values()].filter((b) => isLiveBlock(b) && b.jobId !== undefined);
    if (live.length > 0) {
      let statuses: JobStatus[];
      try {
        statuses = await this.provider.status(live.map((b) => b.jobId!));
      } catch (error) {
        this.#log('warn', `status poll failed: ${(error as Error).message}`);
        return;
      }
      if (this.#blocksShutDown) return;
      live.forEach((block, i) => {
        const status = statuses[i];
        // A block cancelled while the poll was in flight keeps its cancelled state.
        if (status !== undefined && isLiveBlock(block)) this.#transition(block, status);
      });
    }
    this.#runErrorHandler();
  }

  #transition(block: BlockRecord, status: JobStatus): void {
    if (status.stdoutPath !== undefined) block.stdoutPath = status.stdoutPath;
    if (status.stderrPath !== undefined) block.stderrPath = status.stderrPath;
    if (status.exitCode !== undefined) block.exitCode = status.exitCode;
    if (status.schedulerState !== undefined) {
      block.schedulerState = status.schedulerState;
      block.reason = status.reason;
    }
    if (status.state === block.state) return;
    if (status.message !== undefined) block.message = status.message;
    const previous = block.state;
    block.state = status.state;
    const detail = [status.exitCode === undefined ? '' : `exit code ${status.exitCode}`, status.message ?? ''].filter(Boolean).join(', ');
    this.#log(status.state === 'failed' ? 'error' : 'info',
      `block ${block.blockId} (job ${block.jobId ?? '-'}) ${previous} -> ${status.state}${detail ? ` (${detail})` : ''}`);
    this.#recordBlock(block);
  }

  /** Monitoring: a `block` row for the block's new state; why it failed, when it did. */
  #recordBlock(block: BlockRecord): void {
    const monitor = this.context?.monitor;
    if (monitor === undefined) return;
    const failed = block.state === 'failed' || block.state === 'missing' || (block.state === 'timeout' && !block.registered);
    const message = failed || block.state === 'cancelled' ? describeFailedBlocks([block]) : block.message;
    monitor.blockState(this.label, block.blockId, block.jobId, block.state, message, Date.now());
  }

  #runErrorHandler(): void {
    if (this.#errorHandler === undefined || this.#badState !== undefined || this.#blocksShutDown) return;
    try {
      this.#errorHandler(this, this.blocks());
    } catch (error) {
      this.#log('error', `block error handler threw: ${(error as Error).stack}`);
    }
  }

  /**
   * Puts the executor in a bad state and fails its waiting tasks with an `ExecutorError`
   * carrying `reason`. Called by the block error handler; only the first call counts.
   */
  failAllBlocks(reason: string): void {
    if (this.#badState !== undefined) return;
    this.#badState = new ExecutorError(this.label, reason);
    this.#log('error', this.#badState.message);
    this.onAllBlocksFailed(this.#badState);
  }

  /** Cancels every live block, stops polling, shuts the provider down; idempotent. */
  protected shutdownBlocks(): Promise<void> {
    this.#shutdownBlocksPromise ??= (async () => {
      this.#blocksShutDown = true;
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
      // Submits still in flight would start jobs nobody cancels: let them land first.
      await Promise.allSettled([...this.#submitsInFlight]);
      await this.#polling?.catch(() => undefined);
      const live = [...this.#blocks.values()].filter(isLiveBlock);
      if (live.length > 0) this.#log('info', `shutdown: cancelling ${live.length} block(s)`);
      await this.#cancelBlocks(live, 'executor shutdown');
      try {
        await this.provider.shutdown?.();
      } catch (error) {
        this.#log('warn', `provider shutdown failed: ${(error as Error).message}`);
      }
    })();
    return this.#shutdownBlocksPromise;
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.context?.logger[level](`${this.label}: ${message}`);
  }
}
