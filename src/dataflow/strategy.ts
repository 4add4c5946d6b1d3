/**
 * The scaling strategy (Parsl's `jobs/strategy.py`): every `strategyPeriod` seconds it
 * compares each block-provider executor's outstanding tasks with the worker slots of its
 * live blocks, and scales out or in within the provider's [minBlocks, maxBlocks].
 *
 * - `'none'`: only the initial blocks.
 * - `'simple'`: scale out to ceil(outstanding × parallelism / workersPerBlock) blocks; scale
 *   in (down to minBlocks) once the executor has had no task for `maxIdletime` seconds.
 * - `'htexAutoScale'`: like simple, and also ends single blocks that have held no task for
 *   `maxIdletime` while other blocks still run tasks.
 */
import { BlockProviderExecutor, isLiveBlock, type BlockRecord } from '../executors/block-provider-executor.js';
import type { Executor } from '../executors/executor.js';
import type { StrategyName } from '../config/config.js';
import type { Logger } from '../util/logger.js';

export interface StrategyOptions {
  strategy: StrategyName;
  /** Seconds between passes. */
  strategyPeriod: number;
  /** Seconds of idleness before blocks are scaled in. */
  maxIdletime: number;
  logger: Logger;
  /** Clock in milliseconds; tests pass their own. */
  now?: () => number;
}

/** What one pass decided for one executor (for logs and tests). */
export type ScalingDecision =
  | { action: 'none'; reason: string }
  | { action: 'scaleOut'; blocks: number; reason: string }
  | { action: 'scaleIn'; blockIds: string[]; reason: string };

interface ExecutorState {
  /** Since when the executor as a whole has had no outstanding task (ms), if it has none. */
  idleSince: number | undefined;
}

export class Strategy {
  readonly name: StrategyName;
  readonly #executors: BlockProviderExecutor[];
  readonly #states = new Map<string, ExecutorState>();
  readonly #periodMs: number;
  readonly #maxIdleMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  #stopped = false;

  /** Executors that are not BlockProviderExecutors are left alone. */
  constructor(executors: Iterable<Executor>, options: StrategyOptions) {
    this.name = options.strategy;
    this.#executors = [...executors].filter((e): e is BlockProviderExecutor => e instanceof BlockProviderExecutor);
    // Told now, so that the block error handler knows ended blocks will be replaced.
    if (this.name !== 'none') for (const executor of this.#executors) executor.strategyReplacesBlocks = true;
    for (const executor of this.#executors) this.#states.set(executor.label, { idleSince: undefined });
    this.#periodMs = options.strategyPeriod * 1000;
    this.#maxIdleMs = options.maxIdletime * 1000;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Starts the periodic passes (none for `'none'` or without block-provider executors). */
  start(): void {
    if (this.name === 'none' || this.#executors.length === 0 || this.#stopped) return;
    this.#logger.info(`strategy ${this.name}: every ${this.#periodMs / 1000} s for ${this.#executors.map((e) => e.label).join(', ')}, maxIdletime ${this.#maxIdleMs / 1000} s`);
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.strategize().finally(() => { if (!this.#stopped) this.#schedule(); });
    }, this.#periodMs);
    this.#timer.unref(); // the strategy alone must not keep the driver alive
  }

  /** Stops the passes and waits for one in progress; idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }

  /** Runs one pass over every executor now (passes never overlap). */
  strategize(): Promise<void> {
    this.#pass ??= (async () => {
      try {
        for (const executor of this.#executors) {
          if (this.#stopped) return;
          try {
            await this.#strategizeExecutor(executor);
          } catch (error) {
            this.#logger.error(`strategy: pass for ${executor.label} failed: ${(error as Error).stack}`);
          }
        }
      } finally {
        this.#pass = undefined;
      }
    })();
    return this.#pass;
  }

  async #strategizeExecutor(executor: BlockProviderExecutor): Promise<void> {
    if (executor.badState !== undefined) return;
    await executor.pollBlocks(executor.provider.statusPollingInterval);
    if (this.#stopped || executor.badState !== undefined) return;
    const decision = this.decide(executor);
    if (decision.action === 'none') {
      this.#logger.debug(`strategy: ${executor.label}: ${decision.reason}`);
    } else if (decision.action === 'scaleOut') {
      this.#logger.info(`strategy: ${executor.label}: scaling out by ${decision.blocks} block(s): ${decision.reason}`);
      await executor.scaleOut(decision.blocks);
    } else {
      this.#logger.info(`strategy: ${executor.label}: scaling in block(s) ${decision.blockIds.join(', ')}: ${decision.reason}`);
      await executor.scaleIn(decision.blockIds);
    }
  }

  /** The policy: what to do for `executor` now. Updates the executor's idle timer. */
  decide(executor: BlockProviderExecutor): ScalingDecision {
    if (this.name === 'none') return { action: 'none', reason: "strategy 'none'" };
    const state = this.#states.get(executor.label) ?? { idleSince: undefined };
    this.#states.set(executor.label, state);
    const now = this.#now();
    const { minBlocks, maxBlocks, parallelism } = executor.provider;
    const live = executor.blocks().filter(isLiveBlock);
    const outstanding = executor.outstanding();
    const slotsPerBlock = Math.max(1, executor.workersPerBlock());
    const activeSlots = live.length * slotsPerBlock;
    const summary = `${outstanding} outstanding task(s), ${live.length} live block(s) with ${activeSlots} slot(s)`;

    if (live.length < minBlocks) {
      return { action: 'scaleOut', blocks: minBlocks - live.length, reason: `${summary}, below minBlocks ${minBlocks}` };
    }

    if (outstanding === 0) {
      if (live.length <= minBlocks) {
        state.idleSince = undefined;
        return { action: 'none', reason: `${summary}; at minBlocks` };
      }
      state.idleSince ??= now;
      const idleFor = now - state.idleSince;
      if (idleFor < this.#maxIdleMs) return { action: 'none', reason: `${summary}; idle for ${idleFor / 1000} s of ${this.#maxIdleMs / 1000} s` };
      state.idleSince = undefined;
      return {
        action: 'scaleIn',
        blockIds: this.#scaleInOrder(executor, live, now).slice(0, live.length - minBlocks).map((b) => b.blockId),
        reason: `${summary}; idle for ${idleFor / 1000} s`,
      };
    }

    state.idleSince = undefined;
    const wanted = Math.min(maxBlocks, Math.max(minBlocks, 1, Math.ceil((outstanding * parallelism) / slotsPerBlock)));
    if (wanted > live.length) {
      return { action: 'scaleOut', blocks: wanted - live.length, reason: `${summary}; ${wanted} block(s) wanted (maxBlocks ${maxBlocks})` };
    }

    if (this.name === 'htexAutoScale' && activeSlots > outstanding && live.length > minBlocks) {
      const excessSlots = Math.ceil(activeSlots - outstanding * parallelism);
      const excessBlocks = Math.min(Math.ceil(excessSlots / slotsPerBlock), live.length - minBlocks);
      const idle = live
        .map((block) => ({ block, idleSince: executor.idleSince(block.blockId) }))
        .filter((entry): entry is { block: BlockRecord; idleSince: number } => entry.idleSince !== undefined && now - entry.idleSince >= this.#maxIdleMs)
        .sort((a, b) => a.idleSince - b.idleSince)
        .slice(0, excessBlocks);
      if (idle.length > 0) {
        return { action: 'scaleIn', blockIds: idle.map((e) => e.block.blockId), reason: `${summary}; ${idle.length} block(s) idle for ${this.#maxIdleMs / 1000} s or more` };
      }
      return { action: 'none', reason: `${summary}; ${excessBlocks} block(s) in excess but none idle for ${this.#maxIdleMs / 1000} s` };
    }
    return { action: 'none', reason: `${summary}; enough blocks` };
  }

  /** Which blocks to end first when all are idle: pending ones, then the longest idle, then the newest. */
  #scaleInOrder(executor: BlockProviderExecutor, live: BlockRecord[], now: number): BlockRecord[] {
    const rank = (block: BlockRecord) => (block.state === 'pending' ? 0 : 1);
    const idleFor = (block: BlockRecord) => {
      const since = executor.idleSince(block.blockId);
      return since === undefined ? -1 : now - since;
    };
    return [...live].sort((a, b) => rank(a) - rank(b) || idleFor(b) - idleFor(a) || Number(b.blockId) - Number(a.blockId));
  }
}
