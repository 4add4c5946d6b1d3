/**
 * A fake provider and a minimal BlockProviderExecutor subclass for unit tests of block
 * bookkeeping and the strategy (pure policy: no processes).
 */
import { BlockProviderExecutor, type BlockProviderExecutorOptions } from '../../src/executors/block-provider-executor.js';
import type { ExecutorContext, ExecutorStatus, ExecutorTask } from '../../src/executors/executor.js';
import type { ExecutionProvider, JobState, JobStatus, ProviderContext } from '../../src/providers/provider.js';
import type { Launcher } from '../../src/providers/launchers/launcher.js';
import { Logger, type LogLevel } from '../../src/util/logger.js';

export class MemoryLogger extends Logger {
  lines: string[] = [];
  constructor() { super(undefined); }
  override log(level: LogLevel, message: string): void { this.lines.push(`${level} ${message}`); }
}

export const recordingLauncher: Launcher = {
  name: 'recording',
  wrap: (command, tasksPerNode, nodesPerBlock) => `launch[${tasksPerNode}x${nodesPerBlock}] ${command}`,
};

export interface FakeProviderSettings {
  initBlocks?: number; minBlocks?: number; maxBlocks?: number; nodesPerBlock?: number; parallelism?: number;
}

export class FakeProvider implements ExecutionProvider {
  readonly label = 'fake';
  readonly initBlocks: number;
  readonly minBlocks: number;
  readonly maxBlocks: number;
  readonly nodesPerBlock: number;
  readonly parallelism: number;
  readonly walltime = '00:10:00';
  readonly launcher = recordingLauncher;
  readonly workerInit = '';
  readonly statusPollingInterval = 60_000; // tests poll by hand
  started: ProviderContext | undefined;
  shutDown = 0;
  submitted: { command: string; tasksPerNode: number; jobName: string; jobId: string }[] = [];
  cancelled: string[] = [];
  /** Job states the test sets; a submitted job starts pending. */
  states = new Map<string, JobStatus>();
  /** Makes the next submit throw this. */
  failNextSubmit: Error | undefined;
  /** Holds submits until released, to test in-flight submits. */
  gate: Promise<void> | undefined;
  events: string[] = [];
  #nextJob = 100;

  constructor(settings: FakeProviderSettings = {}) {
    this.initBlocks = settings.initBlocks ?? 1;
    this.minBlocks = settings.minBlocks ?? 0;
    this.maxBlocks = settings.maxBlocks ?? 10;
    this.nodesPerBlock = settings.nodesPerBlock ?? 1;
    this.parallelism = settings.parallelism ?? 1;
  }

  start(context: ProviderContext): void { this.started = context; }

  async submit(command: string, tasksPerNode: number, jobName: string): Promise<string> {
    if (this.gate) await this.gate;
    if (this.failNextSubmit) {
      const error = this.failNextSubmit;
      this.failNextSubmit = undefined;
      throw error;
    }
    const jobId = `job-${this.#nextJob++}`;
    this.submitted.push({ command, tasksPerNode, jobName, jobId });
    this.states.set(jobId, { state: 'pending' });
    return jobId;
  }

  set(jobId: string, state: JobState, extra: Partial<JobStatus> = {}): void {
    this.states.set(jobId, { state, ...extra });
  }

  async status(jobIds: string[]): Promise<JobStatus[]> {
    return jobIds.map((id) => this.states.get(id) ?? { state: 'missing' });
  }

  async cancel(jobIds: string[]): Promise<boolean[]> {
    for (const id of jobIds) {
      this.events.push(`cancel ${id}`);
      this.cancelled.push(id);
      this.states.set(id, { state: 'cancelled' });
    }
    return jobIds.map(() => true);
  }

  async shutdown(): Promise<void> { this.shutDown++; }
}

export class FakeBlockExecutor extends BlockProviderExecutor {
  outstandingTasks = 0;
  slotsPerBlock = 2;
  idle = new Map<string, number>();
  held: string[] = [];
  failedWith: Error[] = [];
  /** Blocks the test says had a manager register. */
  registered = new Set<string>();

  constructor(provider: FakeProvider, label = 'fake-htex', options?: BlockProviderExecutorOptions) {
    super(label, provider, options);
  }

  get fakeProvider(): FakeProvider { return this.provider as FakeProvider; }

  async start(context: ExecutorContext): Promise<void> { await this.startBlocks(context); }
  submit(_task: ExecutorTask): void { this.outstandingTasks++; }
  cancel(): boolean { return false; }
  status(): ExecutorStatus { return { label: this.label, kind: 'fake', queued: this.outstandingTasks, running: 0, workers: 0 }; }
  async shutdown(): Promise<void> { await this.shutdownBlocks(); }
  protected launchCommand(blockId: string): string { return `worker-pool --block-id ${blockId}`; }
  protected tasksPerNode(): number { return 1; }
  outstanding(): number { return this.outstandingTasks; }
  workersPerBlock(): number { return this.slotsPerBlock; }
  idleSince(blockId: string): number | undefined { return this.idle.get(blockId); }
  protected blockRegistered(blockId: string): boolean { return this.registered.has(blockId); }
  protected holdBlock(blockId: string): void {
    this.held.push(blockId);
    this.fakeProvider.events.push(`hold ${blockId}`);
  }
  protected onAllBlocksFailed(error: Error): void { this.failedWith.push(error); }
}

export function fakeContext(runDir = '/nonexistent-run-dir'): ExecutorContext & { logger: MemoryLogger } {
  return { runDir, logger: new MemoryLogger(), deliver: () => undefined };
}

export async function startedExecutor(settings: FakeProviderSettings = {}, options?: BlockProviderExecutorOptions) {
  const provider = new FakeProvider(settings);
  const executor = new FakeBlockExecutor(provider, 'fake-htex', options);
  const context = fakeContext();
  await executor.start(context);
  return { provider, executor, context };
}
