/**
 * Every error parsl-ts raises. Each class carries the data a caller needs and a stable
 * `code` string; the worker side imports this file too, so it must stay dependency-free.
 */

/** Base of every parsl-ts error. */
export class ParslError extends Error {
  /** Stable machine-readable identifier, e.g. `PARSL_DEPENDENCY`. */
  readonly code: string = 'PARSL_ERROR';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration (or the way it was loaded) is wrong; names the offending key. */
export class ConfigurationError extends ParslError {
  override readonly code: string = 'PARSL_CONFIGURATION';
  constructor(message: string, readonly key?: string) {
    super(message);
  }
}

/** `currentDfk()` or an app call while no DataFlowKernel is loaded. */
export class NoDataFlowKernelError extends ConfigurationError {
  override readonly code = 'PARSL_NO_DFK';
  constructor(message = 'no DataFlowKernel is loaded: call `await load(config)` first') {
    super(message);
  }
}

export interface FailedTask {
  /** Task id of the failed upstream app future; undefined for a plain Promise. */
  taskId: number | undefined;
  error: Error;
}

/** Ids named in a failure summary; the rest are counted (`failed` still has them all). */
const MAX_LISTED_IDS = 20;
/** A root cause quoted inside a summary of a chained failure is cut to this many characters. */
const MAX_QUOTED_ROOT = 200;

function taskLabel(taskId: number | undefined): string {
  return taskId === undefined ? 'promise' : `task ${taskId}`;
}

/** One failure: in full, except a chained one, which names its root cause briefly. */
function describeFailure(failure: FailedTask): string {
  const error = failure.error;
  if ((error instanceof DependencyError || error instanceof JoinError) && error.cause instanceof Error) {
    const root = `${error.cause.name}: ${error.cause.message}`;
    return `${taskLabel(failure.taskId)} (${error.name}; root cause ${root.length > MAX_QUOTED_ROOT ? `${root.slice(0, MAX_QUOTED_ROOT)}…` : root})`;
  }
  return `${taskLabel(failure.taskId)} (${error.name}: ${error.message})`;
}

/**
 * A short summary however many failed (a fan-in over thousands): the failed ids, the first
 * failure in full, and the others counted by class. `what` names one failed input.
 */
function describeFailures(failed: FailedTask[], what: [singular: string, plural: string]): string {
  if (failed.length === 1) return `${what[0]} failed: ${describeFailure(failed[0]!)}`;
  const sorted = failed.map((f) => f.taskId).sort((a, b) => (a ?? -1) - (b ?? -1));
  const ids = sorted.slice(0, MAX_LISTED_IDS).map(taskLabel).join(', ');
  const unlisted = failed.length - MAX_LISTED_IDS;
  const byClass = new Map<string, number>();
  for (const { error } of failed.slice(1)) byClass.set(error.name, (byClass.get(error.name) ?? 0) + 1);
  const others = [...byClass].map(([name, count]) => `${count} ${name}`).join(', ');
  return `${failed.length} ${what[1]} failed (${ids}${unlisted > 0 ? ` and ${unlisted} more` : ''}); `
    + `first: ${describeFailure(failed[0]!)}; others: ${others}`;
}

/**
 * The failure at the bottom of a chain: a failed dependency's own root if it failed only
 * because of its dependencies (or its join), else the failure itself.
 */
function rootFailure(failed: FailedTask[]): ErrorOptions | undefined {
  const first = failed[0]?.error;
  if (first === undefined) return undefined;
  if ((first instanceof DependencyError || first instanceof JoinError) && first.cause !== undefined) return { cause: first.cause };
  return { cause: first };
}

/**
 * A task could not run because one or more of its dependencies failed. `cause` is the
 * root failure (the first failed dependency's, followed down the chain).
 */
export class DependencyError extends ParslError {
  override readonly code = 'PARSL_DEPENDENCY';
  constructor(readonly failed: FailedTask[], readonly taskId?: number) {
    super(`${taskId === undefined ? 'task' : `task ${taskId}`} not run: ${describeFailures(failed, ['dependency', 'dependencies'])}`, rootFailure(failed));
  }
  /** Ids of the failed upstream tasks. */
  get dependencyIds(): (number | undefined)[] {
    return this.failed.map((f) => f.taskId);
  }
}

/** A bash app's command exited with a non-zero code. */
export class BashExitFailure extends ParslError {
  override readonly code = 'PARSL_BASH_EXIT';
  constructor(readonly appName: string, readonly exitCode: number) {
    super(`bash app ${appName} failed with unix exit code ${exitCode}`);
  }
}

/** A bash app's function returned something other than a command string. */
export class BashAppNoReturn extends ParslError {
  override readonly code = 'PARSL_BASH_NO_RETURN';
  constructor(readonly appName: string, readonly returned: string) {
    super(`bash app ${appName} must return a command string, got ${returned}`);
  }
}

/** A task ran longer than its `walltime`. */
export class AppTimeout extends ParslError {
  override readonly code = 'PARSL_APP_TIMEOUT';
  constructor(readonly appName: string, readonly walltime: number) {
    super(`app ${appName} exceeded its walltime of ${walltime} s`);
  }
}

/** The app succeeded but did not create every file named in `outputs`. */
export class MissingOutputs extends ParslError {
  override readonly code = 'PARSL_MISSING_OUTPUTS';
  constructor(readonly appName: string, readonly outputs: string[]) {
    super(`app ${appName} succeeded but did not write its outputs: ${outputs.join(', ')}`);
  }
}

/** A `stdout`/`stderr` keyword is not a valid spec, or the file cannot be opened. */
export class BadStdStreamFile extends ParslError {
  override readonly code = 'PARSL_BAD_STD_STREAM';
  constructor(readonly stream: 'stdout' | 'stderr', readonly reason: string) {
    super(`bad ${stream} file: ${reason}`);
  }
}

/** One or more futures returned by a join app failed; `cause` is the root failure. */
export class JoinError extends ParslError {
  override readonly code = 'PARSL_JOIN';
  constructor(readonly failed: FailedTask[], readonly taskId?: number) {
    super(`join app ${taskId === undefined ? '' : `task ${taskId} `}failed: ${describeFailures(failed, ['inner future', 'inner futures'])}`, rootFailure(failed));
  }
}

/** An argument or a result cannot be sent between the driver and a worker. */
export class SerializationError extends ParslError {
  override readonly code = 'PARSL_SERIALIZATION';
  constructor(readonly what: string, readonly reason: string) {
    super(`cannot serialize ${what}: ${reason}`);
  }
}

/** The function given to `app()`/`bashApp()` cannot be shipped to a worker. */
export class AppDefinitionError extends ParslError {
  override readonly code = 'PARSL_APP_DEFINITION';
  constructor(message: string, readonly appName: string, readonly capturedNames: string[] = []) {
    super(message);
  }
}

/** The manager running the task stopped answering or disconnected. */
export class ManagerLost extends ParslError {
  override readonly code = 'PARSL_MANAGER_LOST';
  constructor(readonly managerId: string, readonly hostname: string, reason = 'lost contact') {
    super(`manager ${managerId} on ${hostname}: ${reason}`);
  }
}

/** The worker (thread or process) running the task died. */
export class WorkerLost extends ParslError {
  override readonly code = 'PARSL_WORKER_LOST';
  constructor(readonly workerId: string, readonly hostname: string, reason = 'worker died') {
    super(`worker ${workerId} on ${hostname}: ${reason}`);
  }
}

/** An executor failed as a whole (could not start, all blocks failed, shut down). */
export class ExecutorError extends ParslError {
  override readonly code = 'PARSL_EXECUTOR';
  constructor(readonly label: string, reason: string) {
    super(`executor ${label}: ${reason}`);
  }
}

/**
 * A batch scheduler command (`sbatch`, `squeue`, `qsub`, `bjobs`, …) failed, hung past its
 * `cmdTimeout`, or printed what the provider could not read. Names the command, its exit
 * code and its stderr, so the scheduler's own words reach the user.
 */
export class SchedulerCommandError extends ParslError {
  override readonly code = 'PARSL_SCHEDULER_COMMAND';
  constructor(readonly command: string, readonly exitCode: number | null, readonly stderr: string, problem: string) {
    super(`\`${command}\` ${problem}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
  }
}

/** The task was cancelled before it started (`future.cancel()`). */
export class TaskCancelledError extends ParslError {
  override readonly code = 'PARSL_CANCELLED';
  constructor(readonly taskId: number) {
    super(`task ${taskId} was cancelled`);
  }
}

/**
 * A task names a `File` whose scheme no staging provider handles (only local paths and
 * `file://` URLs for now): the task fails instead of running on a path that does not exist.
 */
export class StagingError extends ParslError {
  override readonly code = 'PARSL_STAGING';
  constructor(readonly url: string, readonly scheme: string, reason: string) {
    super(`File ${url} cannot be staged: ${reason}`);
  }
}

/**
 * A task's `resourceSpecification` names keys its executor does not support, or asks for
 * more than one of its workers has (as Parsl's InvalidResourceSpecification).
 */
export class InvalidResourceSpecification extends ParslError {
  override readonly code = 'PARSL_INVALID_RESOURCE_SPECIFICATION';
  constructor(readonly invalidKeys: string[], readonly supportedKeys: string[], message: string) {
    super(message);
  }
}

/** An argument of an app with `cache: true` has no stable encoding for the cache key. */
export class UnhashableArgumentError extends ParslError {
  override readonly code = 'PARSL_UNHASHABLE_ARGUMENT';
  constructor(readonly appName: string, readonly argument: string, readonly reason: string) {
    super(`${argument} of app ${appName}: cannot hash ${reason} (app cache keys need plain data; `
      + 'leave it out with `ignoreForCache` if it is a keyword, or turn `cache` off for this app)');
  }
}

/** Classes a remote error record may be revived into, by `name`. */
export const PARSL_ERROR_CLASSES: Record<string, new (...args: never[]) => ParslError> = {
  ParslError, ConfigurationError, NoDataFlowKernelError, DependencyError, BashExitFailure,
  BashAppNoReturn, AppTimeout, MissingOutputs, BadStdStreamFile, JoinError, SerializationError,
  AppDefinitionError, ManagerLost, WorkerLost, ExecutorError, TaskCancelledError, UnhashableArgumentError,
  StagingError, InvalidResourceSpecification,
};
