/**
 * The interface between the DataFlowKernel and an executor. The DFK hands over serialized
 * tasks and receives outcomes; it never knows which kind of executor it talks to.
 */
import type { CodeSpec } from '../serialize/code.js';
import type { StdStreamSpec } from './runner.js';
import type { Logger } from '../util/logger.js';

export type { StdStreamSpec };

/** A task, ready to run: dependencies resolved, arguments final. */
export interface ExecutorTask {
  taskId: number;
  tryId: number;
  appName: string;
  kind: 'function' | 'bash';
  code: CodeSpec;
  args: unknown[];
  stdout?: StdStreamSpec;
  stderr?: StdStreamSpec;
  /** Seconds. */
  walltime?: number;
  /** Local paths that must exist after success (`outputs` Files). */
  outputs?: string[];
  /** Lower runs first; ties in submission order. */
  priority?: number;
  resourceSpecification?: Record<string, unknown>;
  /** Whether `args` contain File objects the worker must rebuild. */
  hasFiles?: boolean;
}

export type TaskOutcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** What the DFK gives an executor when it starts it. */
export interface ExecutorContext {
  runDir: string;
  logger: Logger;
  /** Report the end of a try; may be called from any callback, many times per tick. */
  deliver(taskId: number, tryId: number, outcome: TaskOutcome): void;
}

export interface ExecutorStatus {
  label: string;
  kind: string;
  queued: number;
  running: number;
  workers: number;
  [key: string]: unknown;
}

export interface Executor {
  readonly label: string;
  start(context: ExecutorContext): Promise<void>;
  submit(task: ExecutorTask): void;
  /** Removes a task that has not been handed to a worker yet; true if it was removed. */
  cancel(taskId: number): boolean;
  /** Stops workers and releases every resource; idempotent. */
  shutdown(): Promise<void>;
  status(): ExecutorStatus;
}

export function isExecutor(value: unknown): value is Executor {
  const candidate = value as Partial<Executor> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.label === 'string'
    && typeof candidate.start === 'function' && typeof candidate.submit === 'function'
    && typeof candidate.shutdown === 'function';
}
