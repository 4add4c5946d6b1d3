/**
 * Driver side of staging (Parsl's DataManager). For each task it asks the executor's
 * staging providers about every File the task reads (deep in its arguments and `inputs`)
 * and writes (`outputs`, `stdout`/`stderr` given as Files), each on a copy of the File for
 * that task. Separate-task transfers become staging tasks: those planned together for one
 * executor go in one task (up to BATCH_SIZE), which runs them a few at once on a worker
 * and reports each file on its own, so each file's DataFuture settles alone and only
 * failed files are tried again (up to the config's `retries`). In-task transfers travel
 * with the task and run on its worker.
 */
import type { AppDefinition } from '../apps/app.js';
import { ConfigurationError, StagingError } from '../errors.js';
import { DataFuture } from './data-future.js';
import { File } from './file.js';
import { FTPSeparateTaskStaging } from './ftp-separate-task-staging.js';
import { redactedUrl } from './ftp-transfer.js';
import { HTTPSeparateTaskStaging } from './http-separate-task-staging.js';
import { NoOpFileStaging } from './noop-file-staging.js';
import { isStagingProvider, type StagingPlan, type StagingProvider, type StagingTarget, type Transfer } from './staging.js';
import { stagingTask, TRANSFER_MODULE } from './transfer.js';

/** Transfers in one staging task at most: big sets are spread over several workers. */
const BATCH_SIZE = 64;
/** As deep as the DFK looks for futures. */
const MAX_DEPTH = 64;
/** Keys of the keyword object that name files the task writes, not reads. */
const WRITTEN_KEYS: ReadonlySet<string> = new Set(['outputs', 'stdout', 'stderr']);

/** Parsl's default: local files as they are, HTTP(S) and FTP as separate staging tasks. */
export function defaultStaging(): StagingProvider[] {
  return [new NoOpFileStaging(), new HTTPSeparateTaskStaging(), new FTPSeparateTaskStaging()];
}

/** What staging needs to know of an executor. */
export interface StagingExecutor {
  readonly label: string;
  readonly storageAccess?: readonly StagingProvider[];
  readonly workingDir?: string | undefined;
}

/** What a task carries after planning. */
export interface TaskStaging {
  /** In-task transfers, run by the app's worker before and after the app. */
  stageIn: Transfer[];
  stageOut: Transfer[];
  /** Separate-task stage-outs, run once the app succeeded; the app's future waits for them. */
  separateOut: PendingFile[];
  /** DataFutures of `stdout`/`stderr` given as Files. */
  streams: DataFuture[];
}

/** The parts of a task record planning reads and replaces. */
export interface StagedTask {
  readonly id: number;
  readonly appName: string;
  args: unknown[];
  outputs: DataFuture[] | undefined;
  /** `stdout`/`stderr` given as Files, with the paths the task writes them to. */
  streamFiles: { stream: 'stdout' | 'stderr'; file: File; setPath(path: string): void }[];
}

/** One file waiting for its separate transfer. */
export interface PendingFile {
  transfer: Transfer;
  file: File;
  direction: 'in' | 'out';
  /** Failed transfers so far. */
  failures: number;
  settle(error?: StagingError): void;
  /** Told the id of each staging task that carries it. */
  onTask?(taskId: number): void;
}

type Submit = (definition: AppDefinition, args: unknown[]) => PromiseLike<unknown> & { taskId: number };

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function shownUrl(file: File): string {
  return file.scheme === 'ftp' ? redactedUrl(file.url) : file.url;
}

/** Whether `args` name any File or DataFuture (the cheap test before planning). */
export function namesFiles(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return false;
  if (value instanceof File || value instanceof DataFuture) return true;
  if (Array.isArray(value)) return value.some((item) => namesFiles(item, depth + 1));
  if (!isPlain(value)) return false;
  for (const key in value) if (namesFiles((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

export class DataManager {
  #queues = new Map<string, PendingFile[]>();
  #flushScheduled = false;
  #definitions = new Map<string, AppDefinition>();

  constructor(private readonly submit: Submit, private readonly retries: number) {}

  /** Plans staging for `task` on `executor`; replaces its arguments, outputs and stream paths. Throws StagingError. */
  plan(task: StagedTask, executor: StagingExecutor): TaskStaging {
    const providers = executor.storageAccess ?? DEFAULT_STAGING;
    const target: StagingTarget = { label: executor.label, workingDir: executor.workingDir };
    const staging: TaskStaging = { stageIn: [], stageOut: [], separateOut: [], streams: [] };
    const choose = (file: File, direction: 'in' | 'out'): StagingProvider => {
      const provider = providers.find((p) => (direction === 'in' ? p.canStageIn(file) : p.canStageOut(file)));
      if (provider === undefined) {
        throw new StagingError(shownUrl(file), file.scheme, `app ${task.appName} (task ${task.id}) ${direction === 'in' ? 'reads' : 'writes'} it, but no staging provider `
          + `of executor ${executor.label} stages ${file.scheme} files ${direction} (add one to its storageAccess)`);
      }
      return provider;
    };

    const stageIn = (file: File, parent: DataFuture | undefined): File | DataFuture => {
      const copy = file.cleancopy();
      const plan: StagingPlan | undefined = choose(copy, 'in').stageIn(copy, target);
      if (plan?.mode === 'in-task') staging.stageIn.push(plan.transfer);
      if (plan?.mode !== 'separate-task') {
        if (parent === undefined) return copy;
        const after = new DataFuture(copy, parent.taskId);
        Promise.prototype.then.call(parent, () => after.settleValue(copy), (error: unknown) => after.settleError(error as Error));
        return after;
      }
      const staged = new DataFuture(copy, parent?.taskId ?? -1);
      staged.executor = executor.label;
      const pending: PendingFile = {
        transfer: plan.transfer, file: copy, direction: 'in', failures: 0,
        settle: (error) => (error === undefined ? staged.settleValue(copy) : staged.settleError(error)),
        onTask: (taskId) => { staged.taskId = taskId; },
      };
      if (parent === undefined) this.#enqueue(executor.label, pending);
      else Promise.prototype.then.call(parent, () => this.#enqueue(executor.label, pending), (error: unknown) => staged.settleError(error as Error));
      return staged;
    };

    const visit = (value: unknown, depth: number, keywords: boolean): unknown => {
      if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
      if (value instanceof File) return stageIn(value, undefined);
      if (value instanceof DataFuture) {
        // Written where this task runs: read in place, no copy.
        if (value.executor === executor.label) return value;
        return stageIn(value.file, value);
      }
      if (Array.isArray(value)) {
        let copy: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item = visit(value[i], depth + 1, false);
          if (item !== value[i]) (copy ??= [...value])[i] = item;
        }
        return copy ?? value;
      }
      if (!isPlain(value)) return value;
      let copy: Record<string, unknown> | undefined;
      for (const key in value) {
        if (keywords && WRITTEN_KEYS.has(key)) continue;
        const before = (value as Record<string, unknown>)[key];
        const item = visit(before, depth + 1, false);
        if (item !== before) (copy ??= { ...value })[key] = item;
      }
      return copy ?? value;
    };
    const args = task.args.map((arg, index) => visit(arg, 0, index === task.args.length - 1));

    const stageOut = (file: File): File => {
      const copy = file.cleancopy();
      const plan = choose(copy, 'out').stageOut(copy, target);
      if (plan?.mode === 'in-task') staging.stageOut.push(plan.transfer);
      else if (plan?.mode === 'separate-task') {
        staging.separateOut.push({ transfer: plan.transfer, file: copy, direction: 'out', failures: 0, settle: () => undefined });
      }
      return copy;
    };
    if (task.outputs !== undefined) {
      task.outputs = task.outputs.map((output) => {
        const written = new DataFuture(stageOut(output.file), task.id);
        written.executor = executor.label;
        return written;
      });
      const last = args[args.length - 1] as Record<string, unknown>;
      args[args.length - 1] = { ...last, outputs: task.outputs.map((output) => output.file) };
    }
    for (const stream of task.streamFiles) {
      const written = new DataFuture(stageOut(stream.file), task.id);
      written.executor = executor.label;
      stream.setPath(written.file.filepath);
      staging.streams.push(written);
      const last = args[args.length - 1] as Record<string, unknown>;
      args[args.length - 1] = { ...last, [stream.stream]: written.file.filepath };
    }
    task.args = args;
    return staging;
  }

  /** Runs a finished task's separate stage-outs; rejects with the first StagingError. */
  stageOut(label: string, files: PendingFile[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let left = files.length;
      let first: StagingError | undefined;
      for (const file of files) {
        const pending: PendingFile = {
          ...file, failures: 0,
          settle: (error) => {
            first ??= error;
            if (--left > 0) return;
            if (first === undefined) resolve(); else reject(first);
          },
        };
        this.#enqueue(label, pending);
      }
    });
  }

  #enqueue(label: string, pending: PendingFile): void {
    const key = `${pending.direction}\u0000${label}`;
    const queue = this.#queues.get(key);
    if (queue === undefined) this.#queues.set(key, [pending]); else queue.push(pending);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Files planned in the same turn (a loop of app calls) share staging tasks.
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queues = this.#queues;
    this.#queues = new Map();
    for (const [key, queue] of queues) {
      const [direction, label] = key.split('\u0000') as ['in' | 'out', string];
      for (let start = 0; start < queue.length; start += BATCH_SIZE) {
        this.#submitBatch(label, direction, queue.slice(start, start + BATCH_SIZE));
      }
    }
  }

  #submitBatch(label: string, direction: 'in' | 'out', batch: PendingFile[]): void {
    const future = this.submit(this.#definition(label, direction), [batch.map((pending) => pending.transfer)]);
    for (const pending of batch) pending.onTask?.(future.taskId);
    future.then((outcomes) => {
      batch.forEach((pending, index) => {
        const reason = (outcomes as (string | null)[])[index];
        if (reason === null || reason === undefined) pending.settle();
        else this.#failed(label, pending, reason);
      });
    }, (error: unknown) => {
      for (const pending of batch) this.#failed(label, pending, `staging task failed: ${(error as Error)?.message ?? String(error)}`);
    });
  }

  #failed(label: string, pending: PendingFile, reason: string): void {
    pending.failures++;
    if (pending.failures <= this.retries) this.#enqueue(label, pending);
    else pending.settle(new StagingError(shownUrl(pending.file), pending.file.scheme, reason));
  }

  /** The staging task's app: `_parsl_stage_in` / `_parsl_stage_out`, pinned to the executor. */
  #definition(label: string, direction: 'in' | 'out'): AppDefinition {
    const key = `${direction}\u0000${label}`;
    let definition = this.#definitions.get(key);
    if (definition === undefined) {
      const name = `_parsl_stage_${direction}`;
      const code = { id: `${name}#${label}`, kind: 'reference' as const, name, moduleUrl: TRANSFER_MODULE, exportName: 'stagingTask' };
      definition = Object.freeze({
        name, kind: 'function' as const, fn: stagingTask as (...args: never[]) => unknown,
        executors: [label], cache: false, ignoreForCache: [], code: () => code,
      });
      this.#definitions.set(key, definition);
    }
    return definition;
  }
}

const DEFAULT_STAGING: readonly StagingProvider[] = defaultStaging();

/** An executor's `storageAccess` option, checked; the default when absent. */
export function storageAccessOption(executor: string, value: unknown): StagingProvider[] {
  if (value === undefined) return defaultStaging();
  if (!Array.isArray(value) || !value.every(isStagingProvider)) {
    throw new ConfigurationError(`${executor}: storageAccess must be an array of staging providers (objects with canStageIn, canStageOut, stageIn, stageOut)`, 'storageAccess');
  }
  return [...value];
}
