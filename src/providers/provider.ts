/**
 * The interface every execution provider implements (DESIGN §2): a provider only starts,
 * lists and cancels blocks of workers. It never sees tasks.
 */
import type { Logger } from '../util/logger.js';
import type { Launcher } from './launchers/launcher.js';

/**
 * Parsl's block/job states. `timeout`: the block reached its walltime and was ended there,
 * which is how pilot jobs normally end, not a failure.
 */
export type JobState = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'missing' | 'held' | 'unknown';

export interface JobStatus {
  state: JobState;
  /** Scheduler's words, or the error that ended the job. */
  message?: string;
  /** The scheduler's own name for the state (`PENDING`, `R`, `RUN`, …), when there is a scheduler. */
  schedulerState?: string;
  /** Why the scheduler keeps the job waiting, or ended it, in its words (`Resources`, `Priority`, …). */
  reason?: string;
  exitCode?: number;
  /** Where the job's stdout/stderr went, so failures can show them. */
  stdoutPath?: string;
  stderrPath?: string;
}

/** Options every provider accepts (Parsl's names, camelCase). */
export interface ProviderOptions {
  /** Blocks started when the executor starts. Default 1. */
  initBlocks?: number;
  minBlocks?: number;
  maxBlocks?: number;
  nodesPerBlock?: number;
  /** Fraction of outstanding tasks to provision for when scaling out (0–1). Default 1. */
  parallelism?: number;
  /** Block walltime, 'HH:MM:SS'. Each provider states its default (LocalProvider: none). */
  walltime?: string;
  launcher?: Launcher;
  /** Shell commands run before the worker pool starts (module loads, env activation). */
  workerInit?: string;
  /** Extra scheduler directives, verbatim. */
  schedulerOptions?: string;
}

export interface ProviderContext {
  runDir: string;
  logger: Logger;
}

export interface ExecutionProvider {
  readonly label: string;
  readonly initBlocks: number;
  readonly minBlocks: number;
  readonly maxBlocks: number;
  readonly nodesPerBlock: number;
  readonly parallelism: number;
  /** 'HH:MM:SS', or undefined when blocks have no time limit. */
  readonly walltime: string | undefined;
  readonly launcher: Launcher;
  readonly workerInit: string;
  /** Milliseconds between status polls. */
  readonly statusPollingInterval: number;
  /** Called once by the executor before any submit. */
  start?(context: ProviderContext): Promise<void> | void;
  /** Starts a block running `command` (already wrapped by the launcher); returns the job id. */
  submit(command: string, tasksPerNode: number, jobName: string): Promise<string>;
  status(jobIds: string[]): Promise<JobStatus[]>;
  cancel(jobIds: string[]): Promise<boolean[]>;
  /** Releases what the provider holds (channels, temp files). */
  shutdown?(): Promise<void>;
}
