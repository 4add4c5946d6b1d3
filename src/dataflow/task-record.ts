/** What the DataFlowKernel knows about one task while it is alive. */
import type { AppDefinition } from '../apps/app.js';
import type { StdStreamSpec } from '../executors/executor.js';
import type { DataFuture } from '../data/data-future.js';
import type { File } from '../data/file.js';
import type { TaskStaging } from '../data/data-manager.js';
import type { TaskRecordView } from '../config/config.js';
import type { AppFuture } from './app-future.js';

/** Parsl's task states. */
export type TaskState =
  | 'unsched' | 'pending' | 'launched' | 'running' | 'exec_done' | 'failed' | 'dep_fail'
  | 'memo_done' | 'joining' | 'cancelled';

export interface TryRecord {
  tryId: number;
  executor: string | undefined;
  launchedAt: number;
  endedAt?: number;
  error?: Error;
}

export class TaskRecord implements TaskRecordView {
  state: TaskState = 'unsched';
  executor: string | undefined;
  /** Arguments as given; replaced by resolved ones before launch, dropped after. */
  args: unknown[];
  hasFiles = false;
  /** Dependencies not yet settled. */
  waitingOn = 0;
  tries: TryRecord[] = [];
  failCount = 0;
  failCost = 0;
  stdout: StdStreamSpec | undefined;
  stderr: StdStreamSpec | undefined;
  walltime: number | undefined;
  priority: number | undefined;
  resourceSpecification: Record<string, unknown> | undefined;
  outputs: DataFuture[] | undefined;
  /** `stdout`/`stderr` given as Files (staged out, and DataFutures on the app future). */
  streamFiles: { stream: 'stdout' | 'stderr'; file: File }[] | undefined;
  /** Transfers planned for its Files, once its executor is chosen (then pinned to it). */
  staging: TaskStaging | undefined;
  /** App cache key, for apps with `cache: true` that ran (not reused) in this run. */
  hashsum: string | undefined;
  readonly timeInvoked = Date.now();

  constructor(
    readonly id: number,
    readonly definition: AppDefinition,
    args: unknown[],
    readonly future: AppFuture<unknown>,
  ) {
    this.args = args;
  }

  get appName(): string {
    return this.definition.name;
  }

  get tryCount(): number {
    return this.tries.length;
  }
}
