/**
 * The interface between the DataFlowKernel and an executor. The DFK hands over serialized
 * tasks and receives outcomes; it never knows which kind of executor it talks to.
 */
import { InvalidResourceSpecification } from '../errors.js';
import type { CodeSpec } from '../serialize/code.js';
import type { StagingProvider, Transfer } from '../data/staging.js';
import type { StdStreamSpec } from './runner.js';
import type { Logger } from '../util/logger.js';
import type { ExecutorMonitor } from '../monitoring/events.js';

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
  /** In-task staging: transfers the worker runs before the app, and after it succeeded. */
  stageIn?: Transfer[];
  stageOut?: Transfer[];
}

export type TaskOutcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** What the DFK gives an executor when it starts it. */
export interface ExecutorContext {
  runDir: string;
  logger: Logger;
  /** Report the end of a try; may be called from any callback, many times per tick. */
  deliver(taskId: number, tryId: number, outcome: TaskOutcome): void;
  /** Present when monitoring is on: where to report tries running, resources, blocks, nodes. */
  monitor?: ExecutorMonitor | undefined;
}

export interface ExecutorStatus {
  label: string;
  kind: string;
  /** Tasks not started yet: in the executor's queue, or held by a manager or worker. */
  queued: number;
  /** Tasks running on a worker now (at most one per worker). */
  running: number;
  workers: number;
  [key: string]: unknown;
}

export interface Executor {
  readonly label: string;
  /** Staging providers for the Files of its tasks; default NoOp, HTTP(S) and FTP as separate tasks. */
  readonly storageAccess?: readonly StagingProvider[];
  /** Absolute directory its workers run in, when not the driver's. */
  readonly workingDir?: string | undefined;
  start(context: ExecutorContext): Promise<void>;
  submit(task: ExecutorTask): void;
  /** Removes a task that has not been handed to a worker yet; true if it was removed. */
  cancel(taskId: number): boolean;
  /** Stops workers and releases every resource; idempotent. */
  shutdown(): Promise<void>;
  status(): ExecutorStatus;
  /**
   * Throws InvalidResourceSpecification if this executor cannot honour a task's
   * `resourceSpecification` (unsupported keys, or more than a worker has). The DFK calls it
   * before `submit`; an executor without it is handed every specification as it is.
   */
  validateResourceSpecification?(spec: Record<string, unknown>): void;
}

/** How an executor treats one `resourceSpecification` key: always a number. */
export interface ResourceKeyRule {
  /** Whether the value must be above 0 (cores, memory) or may be any number (priority). */
  positive: boolean;
  /** The most one worker has (undefined: no bound), and how that bound is configured. */
  max?: { value: number; configured: string };
  /** Unit named in messages. */
  unit?: string;
}

/**
 * Checks a `resourceSpecification` against the keys an executor supports; throws
 * InvalidResourceSpecification naming the offending keys and the supported ones.
 */
export function checkResourceSpecification(executor: string, spec: Record<string, unknown>, rules: Record<string, ResourceKeyRule>): void {
  const supported = Object.keys(rules);
  const unsupported = Object.keys(spec).filter((key) => !Object.hasOwn(rules, key));
  if (unsupported.length > 0) {
    throw new InvalidResourceSpecification(unsupported, supported,
      `executor ${executor} does not support resourceSpecification key${unsupported.length > 1 ? 's' : ''} `
      + `${unsupported.map((key) => `'${key}'`).join(', ')} (supported: ${supported.join(', ') || 'none'})`);
  }
  for (const [key, rule] of Object.entries(rules)) {
    if (!Object.hasOwn(spec, key)) continue;
    const value = spec[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || (rule.positive && value <= 0)) {
      throw new InvalidResourceSpecification([key], supported,
        `resourceSpecification ${key} must be a ${rule.positive ? 'positive ' : ''}number${rule.unit ? ` (${rule.unit})` : ''}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
    }
    if (rule.max !== undefined && value > rule.max.value) {
      throw new InvalidResourceSpecification([key], supported,
        `resourceSpecification ${key}: ${value}${rule.unit ? ` ${rule.unit}` : ''} cannot be satisfied: `
        + `a worker of executor ${executor} has at most ${rule.max.value}${rule.unit ? ` ${rule.unit}` : ''} (${rule.max.configured})`);
    }
  }
}

export function isExecutor(value: unknown): value is Executor {
  const candidate = value as Partial<Executor> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.label === 'string'
    && typeof candidate.start === 'function' && typeof candidate.submit === 'function'
    && typeof candidate.shutdown === 'function';
}
