/**
 * The DataFlowKernel: turns app calls into task records, waits for their dependencies,
 * hands ready tasks to executors, and settles futures with what comes back.
 */
import { randomUUID } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import type { AppDefinition, AppSubmitter } from '../apps/app.js';
import { withModuleErrorClass } from '../apps/app-code.js';
import { keywordsOf } from '../apps/keywords.js';
import type { ResolvedConfig } from '../config/config.js';
import type { File } from '../data/file.js';
import { DataManager, namesFiles } from '../data/data-manager.js';
import { ConfigurationError, DependencyError, TaskCancelledError, type FailedTask } from '../errors.js';
import type { Executor, ExecutorStatus, ExecutorTask, TaskOutcome } from '../executors/executor.js';
import type { CodeSpec } from '../serialize/code.js';
import { Logger } from '../util/logger.js';
import { AppFuture, type FutureOwner } from './app-future.js';
import { asError, scanArguments, substitute, taskIdOf } from './dependencies.js';
import { runJoinApp } from './join.js';
import { applyKeywords } from './task-keywords.js';
import { LIFT_DEFINITION } from './lift.js';
import { cacheKey, codeIdentity } from './memo-key.js';
import { CheckpointedResult, Memoizer, type MemoEntry } from './memoizer.js';
import { makeRunDir } from './run-dir.js';
import { Strategy } from './strategy.js';
import { startStatusFile } from './status-file.js';
import { TaskRecord, type TaskState } from './task-record.js';
import { stopTypeScriptService } from '../util/typescript-loader.js';
import { Recorder } from '../monitoring/recorder.js';
import { describeTaskFiles } from '../monitoring/task-files.js';

/** Counts for progress displays and `status`. */
export interface TaskCounts {
  submitted: number;
  /** Waiting for dependencies. */
  pending: number;
  /** Handed to an executor, not started yet (in its queue, or held by a manager or worker). */
  queued: number;
  /** Running on a worker (or, for join apps, on the driver). */
  running: number;
  done: number;
  failed: number;
}

const JOIN_EXECUTOR = '_parsl_internal';

export class DataFlowKernel implements AppSubmitter, FutureOwner {
  readonly runDir: string;
  readonly logger: Logger;
  /** This run's id: `workflow.run_id` and `run_id` of every monitoring row. */
  readonly runId = randomUUID();
  /** The monitoring recorder, when `monitoring` is configured. */
  #monitor: Recorder | undefined;
  #executors = new Map<string, Executor>();
  #labels: string[];
  #tasks = new Map<number, TaskRecord>();
  #nextTaskId = 0;
  /** `running` here: handed to an executor or joining; `counts()` splits it into queued and running. */
  #counts: TaskCounts = { submitted: 0, pending: 0, queued: 0, running: 0, done: 0, failed: 0 };
  #joining = 0;
  #closed = false;
  #cleanupPromise: Promise<void> | undefined;
  #strategy: Strategy | undefined;
  #statusFile: { stop(): void } | undefined;
  /** The app cache and checkpoints; undefined when `appCache` is off. */
  #memo: Memoizer | undefined;
  /** Plans and runs the staging of tasks' Files. */
  #dataManager: DataManager;
  /** Called once cleanup has finished (used by `load` to clear the current DFK). */
  onCleanup: (() => void) | undefined;

  private constructor(readonly config: ResolvedConfig) {
    this.runDir = makeRunDir(config.runDir);
    this.logger = new Logger(config.initializeLogging ? join(this.runDir, 'parsl.log') : undefined, 'dfk', config.logLevel);
    this.#labels = config.executors.map((e) => e.label);
    for (const executor of config.executors) this.#executors.set(executor.label, executor);
    if (config.appCache) this.#memo = new Memoizer(config, this.runDir, this.logger);
    this.#dataManager = new DataManager((definition, args) => this.submit(definition, args), config.retries);
    const monitoring = config.monitoring;
    if (monitoring !== null) {
      // One database per run dir (the parent of runinfo/NNN), shared by all its runs.
      const dbUrl = monitoring.dbUrl ?? join(dirname(this.runDir), 'monitoring.db');
      this.#monitor = new Recorder({
        dbUrl, runId: this.runId, runDir: this.runDir, logger: this.logger,
        workflowName: monitoring.workflowName ?? (process.argv[1] ? basename(process.argv[1]) : undefined),
        workflowVersion: monitoring.workflowVersion,
        resourceInterval: monitoring.resourceMonitoringEnabled ? monitoring.resourceMonitoringInterval : 0,
      });
      this.logger.info(`monitoring: recording run ${this.runId} to ${this.#monitor.description}`);
    }
  }

  /** Creates the run directory and starts every executor. */
  static async start(config: ResolvedConfig): Promise<DataFlowKernel> {
    const dfk = new DataFlowKernel(config);
    dfk.logger.info(`parsl-ts DataFlowKernel starting: run dir ${dfk.runDir}, host ${hostname()}, pid ${process.pid}, executors ${dfk.#labels.join(', ')}`);
    const context = {
      runDir: dfk.runDir,
      logger: dfk.logger,
      deliver: (taskId: number, tryId: number, outcome: TaskOutcome) => dfk.#deliver(taskId, tryId, outcome),
      monitor: dfk.#monitor,
    };
    const attempted: Executor[] = [];
    try {
      for (const executor of config.executors) {
        attempted.push(executor);
        await executor.start(context);
      }
    } catch (error) {
      // The failing executor may have started part of its workers: shut it down too.
      await Promise.allSettled(attempted.map((e) => e.shutdown()));
      await dfk.#monitor?.close();
      dfk.logger.error(`executor start failed: ${(error as Error).stack}`);
      await dfk.logger.flush();
      throw error;
    }
    dfk.#strategy = new Strategy(config.executors, {
      strategy: config.strategy, strategyPeriod: config.strategyPeriod, maxIdletime: config.maxIdletime, logger: dfk.logger,
    });
    dfk.#strategy.start();
    dfk.#statusFile = startStatusFile(dfk);
    // The monitoring writer thread started alongside the executors: be sure it runs before tasks come.
    await dfk.#monitor?.started;
    return dfk;
  }

  get executors(): ReadonlyMap<string, Executor> {
    return this.#executors;
  }

  /** What each executor reports: queue, running tasks, workers (and blocks, managers). */
  executorStatuses(): ExecutorStatus[] {
    return [...this.#executors.values()].map((executor) => executor.status());
  }

  counts(): TaskCounts {
    const atExecutors = this.#counts.running - this.#joining;
    let executing = 0;
    for (const executor of this.#executors.values()) executing += executor.status().running;
    const running = Math.min(atExecutors, executing);
    return { ...this.#counts, queued: atExecutors - running, running: running + this.#joining };
  }

  /** Live task records (ended tasks are released). */
  taskRecord(taskId: number): TaskRecord | undefined {
    return this.#tasks.get(taskId);
  }

  submit(definition: AppDefinition, args: unknown[]): AppFuture<unknown> {
    const id = this.#nextTaskId++;
    const future = new AppFuture<unknown>();
    future.taskId = id;
    future.owner = this;
    const record = new TaskRecord(id, definition, args, future);
    future.taskRecord = record;
    this.#counts.submitted++;
    if (this.#closed) {
      this.#fail(record, new ConfigurationError(`task ${id} (${definition.name}) submitted after cleanup() of its DataFlowKernel`), 'failed');
      return future;
    }
    this.#tasks.set(id, record);
    this.logger.info(`Task ${id} submitted for app ${definition.name}`);
    const monitor = this.#monitor;
    monitor?.taskSubmitted(id, definition.name, definition.cache === true, record.timeInvoked);
    const keywords = keywordsOf(args);
    if (keywords !== undefined) {
      try {
        applyKeywords(record, keywords, this.runDir);
      } catch (error) {
        this.#fail(record, asError(error), 'failed');
        return future;
      }
      if (monitor !== undefined) monitor.taskFiles(id, describeTaskFiles(keywords, record));
    }
    if (definition.kind !== 'join' && (record.outputs !== undefined || record.streamFiles !== undefined || namesFiles(record.args))) {
      try {
        this.#planStaging(record);
      } catch (error) {
        this.#fail(record, asError(error), 'failed');
        return future;
      }
    }
    const scan = scanArguments(record.args);
    record.hasFiles = scan.hasFiles;
    if (monitor !== undefined && scan.thenables.length > 0) monitor.taskDepends(id, scan.thenables.map(taskIdOf));
    if (scan.thenables.length === 0) this.#launch(record);
    else this.#awaitDependencies(record, scan.thenables);
    return future;
  }

  /**
   * Staging depends on the executor (its providers, its working directory): choose it now
   * and keep it for every try. Stage-in tasks become dependencies of this task.
   */
  #planStaging(record: TaskRecord): void {
    const executor = this.#chooseExecutor(record);
    record.executor = executor.label;
    const streams = record.streamFiles?.map(({ stream, file }) => ({
      stream, file, setPath: (path: string) => { record[stream]!.path = path; },
    })) ?? [];
    const task = { id: record.id, appName: record.definition.name, args: record.args, outputs: record.outputs, streamFiles: streams };
    record.staging = this.#dataManager.plan(task, executor);
    record.args = task.args;
    record.outputs = task.outputs;
    if (task.outputs !== undefined || record.staging.streams.length > 0) {
      record.future.outputs = [...task.outputs ?? [], ...record.staging.streams];
    }
  }

  #awaitDependencies(record: TaskRecord, thenables: PromiseLike<unknown>[]): void {
    record.state = 'pending';
    this.#monitor?.taskState(record.id, 0, 'pending', Date.now());
    this.#counts.pending++;
    record.waitingOn = thenables.length;
    const resolved = new Map<unknown, unknown>();
    let failures: FailedTask[] | undefined;
    const settleOne = () => {
      if (--record.waitingOn > 0) return;
      if (record.state !== 'pending') return; // cancelled meanwhile
      this.#counts.pending--;
      if (failures) {
        const shown = failures.slice(0, 20).map((f) => f.taskId ?? 'promise').join(', ');
        this.logger.info(`Task ${record.id} failed: dependencies ${shown}${failures.length > 20 ? ` and ${failures.length - 20} more` : ''} failed`);
        this.#fail(record, new DependencyError(failures, record.id), 'dep_fail');
        return;
      }
      record.args = substitute(record.args, resolved) as unknown[];
      record.hasFiles = true;
      this.#launch(record);
    };
    for (const thenable of thenables) {
      const onValue = (value: unknown) => { resolved.set(thenable, value); settleOne(); };
      const onError = (error: unknown) => {
        (failures ??= []).push({ taskId: taskIdOf(thenable), error: asError(error) });
        settleOne();
      };
      if (thenable instanceof Promise) Promise.prototype.then.call(thenable, onValue, onError);
      else Promise.resolve(thenable).then(onValue, onError);
    }
  }

  #launch(record: TaskRecord): void {
    const definition = record.definition;
    if (definition.kind === 'join') {
      if (definition.inline) this.#runInline(record);
      else if (!(definition.cache && this.#memo !== undefined && this.#reuseCached(record, undefined))) this.#runJoin(record);
      return;
    }
    let code: CodeSpec | Promise<CodeSpec>;
    try {
      code = definition.code!();
    } catch (error) {
      this.#fail(record, asError(error), 'failed');
      return;
    }
    if (code instanceof Promise) {
      code.then((spec) => this.#submitToExecutor(record, spec), (error: unknown) => this.#fail(record, asError(error), 'failed'));
    } else {
      this.#submitToExecutor(record, code);
    }
  }

  #chooseExecutor(record: TaskRecord): Executor {
    // Staging was planned for this executor.
    if (record.staging !== undefined) return this.#executors.get(record.executor!)!;
    const wanted = record.definition.executors;
    if (wanted === 'all') {
      const label = this.#labels.length === 1 ? this.#labels[0]! : this.#labels[Math.floor(Math.random() * this.#labels.length)]!;
      return this.#executors.get(label)!;
    }
    const label = wanted.length === 1 ? wanted[0]! : wanted[Math.floor(Math.random() * wanted.length)]!;
    const executor = this.#executors.get(label);
    if (!executor) {
      throw new ConfigurationError(`app ${record.definition.name} asks for executor '${label}', but the config has only ${this.#labels.map((l) => `'${l}'`).join(', ')}`, 'executors');
    }
    return executor;
  }

  #submitToExecutor(record: TaskRecord, code: CodeSpec): void {
    if (record.state === 'cancelled') return;
    if (record.definition.cache && this.#memo !== undefined && record.tries.length === 0 && this.#reuseCached(record, code)) return;
    let executor: Executor;
    try {
      executor = this.#chooseExecutor(record);
      if (record.resourceSpecification !== undefined) executor.validateResourceSpecification?.(record.resourceSpecification);
    } catch (error) {
      this.#fail(record, asError(error), 'failed');
      return;
    }
    const tryId = record.tries.length;
    record.executor = executor.label;
    const attempt = { tryId, executor: executor.label, launchedAt: Date.now() };
    // An array literal is sized to fit; a push onto [] reserves room for 17 entries.
    if (tryId === 0) record.tries = [attempt];
    else record.tries.push(attempt);
    this.#monitor?.tryLaunched(record.id, tryId, executor.label, attempt.launchedAt);
    this.#setState(record, 'launched', attempt.launchedAt);
    const task: ExecutorTask = {
      taskId: record.id, tryId, appName: record.definition.name,
      kind: record.definition.kind === 'bash' ? 'bash' : 'function', code, args: record.args,
    };
    if (record.hasFiles) task.hasFiles = true;
    // Workers in another directory write std streams where the driver means them.
    const inPlace = (spec: NonNullable<TaskRecord['stdout']>) => (executor.workingDir === undefined || isAbsolute(spec.path) ? spec : { ...spec, path: resolve(spec.path) });
    if (record.stdout) task.stdout = inPlace(record.stdout);
    if (record.stderr) task.stderr = inPlace(record.stderr);
    if (record.walltime !== undefined) task.walltime = record.walltime;
    // Parsl gives a task's priority in its resource specification; the keyword wins.
    const priority = record.priority ?? record.resourceSpecification?.['priority'];
    if (typeof priority === 'number') task.priority = priority;
    if (record.resourceSpecification) task.resourceSpecification = record.resourceSpecification;
    if (record.outputs) task.outputs = record.outputs.map((d) => d.file.filepath);
    if (record.staging !== undefined) {
      if (record.staging.stageIn.length > 0) task.stageIn = record.staging.stageIn;
      if (record.staging.stageOut.length > 0) task.stageOut = record.staging.stageOut;
    }
    this.logger.info(`Task ${record.id} try ${tryId} launched on executor ${executor.label}`);
    executor.submit(task);
  }

  /**
   * App cache: computes the task's key; if an equal call ran before (or is running), settles
   * the task from it and returns true. Otherwise registers this task as the first of its key.
   */
  #reuseCached(record: TaskRecord, code: CodeSpec | undefined): boolean {
    const memo = this.#memo!;
    let key: string;
    try {
      key = cacheKey(record.definition, codeIdentity(record.definition, code), record.args);
    } catch (error) {
      this.#fail(record, asError(error), 'failed');
      return true;
    }
    const entry = memo.lookup(key);
    this.#monitor?.taskHashsum(record.id, key);
    if (entry === undefined) {
      record.hashsum = key;
      memo.register(key, record.future);
      return false;
    }
    this.#settleFromCache(record, key, entry);
    return true;
  }

  #settleFromCache(record: TaskRecord, key: string, entry: MemoEntry): void {
    if (entry instanceof CheckpointedResult) {
      this.logger.info(`Task ${record.id} memoized: result of task ${entry.taskId} from checkpoint ${entry.from}`);
      // Into this run's checkpoint too, so that its last checkpoint holds every result it used.
      this.#memo!.recordSuccess(key, entry.value, record.id, record.definition.name);
      this.#succeed(record, entry.value, 'memo_done');
      return;
    }
    const first = entry;
    this.logger.info(`Task ${record.id} memoized: outcome of task ${first.taskId}`);
    const reuse = () => {
      const error = first.exception();
      if (error !== undefined) this.#fail(record, error, 'failed');
      else this.#succeed(record, first.result(), 'memo_done');
    };
    if (first.done()) { reuse(); return; }
    record.state = 'pending';
    this.#monitor?.taskState(record.id, 0, 'pending', Date.now());
    this.#counts.pending++;
    const settle = () => {
      if (record.state !== 'pending') return; // cancelled meanwhile
      this.#counts.pending--;
      reuse();
    };
    Promise.prototype.then.call(first, settle, settle);
  }

  /** An inline task (a lifted future's part, a map item): computed on the driver at once. */
  #runInline(record: TaskRecord): void {
    record.executor = JOIN_EXECUTOR;
    this.#setState(record, 'joining');
    let value: unknown;
    try {
      value = (record.definition.fn as (...args: unknown[]) => unknown)(...record.args);
    } catch (error) {
      this.#fail(record, asError(error), 'failed');
      return;
    }
    this.#succeed(record, value);
  }

  /** `fut.get(key)`: a future of one part of `parent`'s value. */
  lift(parent: AppFuture<unknown>, key: PropertyKey): AppFuture<unknown> {
    if (typeof key !== 'string' && typeof key !== 'number') throw new TypeError(`get() needs a string or number key, got ${typeof key}`);
    return this.submit(LIFT_DEFINITION, [parent, key, parent.taskId]);
  }

  /** Writes every cached result not yet checkpointed; returns the checkpoint directory. */
  checkpoint(): string | undefined {
    return this.#memo?.checkpoint();
  }

  /** The app cache (undefined when `appCache` is off). @internal */
  get memoizer(): Memoizer | undefined {
    return this.#memo;
  }

  #runJoin(record: TaskRecord): void {
    record.executor = JOIN_EXECUTOR;
    // Monitoring: a join app's one try runs on the driver; task_joins lists the tasks it waited on.
    const monitor = this.#monitor;
    monitor?.tryLaunched(record.id, 0, JOIN_EXECUTOR, Date.now());
    this.#setState(record, 'joining');
    const onJoin = monitor === undefined ? undefined : (ids: number[]) => monitor.tryJoins(record.id, 0, ids);
    void runJoinApp(record.definition, record.args, record.id, onJoin).then((outcome) => {
      monitor?.tryReturned(record.id, 0, Date.now(), outcome.ok ? undefined : outcome.error);
      if (outcome.ok) this.#succeed(record, outcome.value);
      else this.#fail(record, outcome.error, 'failed');
    });
  }

  #deliver(taskId: number, tryId: number, outcome: TaskOutcome): void {
    const record = this.#tasks.get(taskId);
    if (record === undefined || record.tries.length - 1 !== tryId) return; // stale try
    const attempt = record.tries[tryId]!;
    attempt.endedAt = Date.now();
    this.#monitor?.tryReturned(taskId, tryId, attempt.endedAt, outcome.ok ? undefined : outcome.error);
    if (outcome.ok) {
      this.logger.info(`Task ${taskId} try ${tryId} completed (exec_done)`);
      const stageOuts = record.staging?.separateOut;
      if (stageOuts === undefined || stageOuts.length === 0) {
        this.#succeed(record, outcome.value);
        return;
      }
      // Its outputs are done once they are where they belong: the future waits for the stage-out.
      this.#dataManager.stageOut(record.executor!, stageOuts).then(
        () => this.#succeed(record, outcome.value),
        (error: Error) => this.#fail(record, error, 'failed'));
      return;
    }
    const code = record.definition.code?.();
    const error = withModuleErrorClass(outcome.error, code instanceof Promise ? undefined : code);
    attempt.error = error;
    this.#retryOrFail(record, error);
  }

  #retryOrFail(record: TaskRecord, error: Error): void {
    record.failCount++;
    let cost = 1;
    if (this.config.retryHandler) {
      try {
        cost = this.config.retryHandler(error, record);
        if (typeof cost !== 'number' || Number.isNaN(cost)) {
          throw new TypeError(`retryHandler must return a number (the cost of the failed try), got ${cost === null ? 'null' : typeof cost}`);
        }
      } catch (handlerError) {
        this.logger.error(`Task ${record.id}: retryHandler threw: ${(handlerError as Error).message}`);
        this.#fail(record, asError(handlerError), 'failed');
        return;
      }
    }
    record.failCost += cost;
    this.#monitor?.taskFailCost(record.id, record.failCount, record.failCost);
    if (record.failCost <= this.config.retries) {
      this.logger.info(`Task ${record.id} try ${record.tries.length - 1} failed (${error.name}: ${error.message}); retrying (cost ${record.failCost} of ${this.config.retries})`);
      this.#counts.running--;
      record.state = 'pending';
      this.#monitor?.taskState(record.id, record.tries.length - 1, 'fail_retryable', Date.now());
      this.#launch(record);
      return;
    }
    this.logger.info(`Task ${record.id} failed after ${record.tries.length} tries: ${error.name}: ${error.message}`);
    this.#fail(record, error, 'failed');
  }

  #setState(record: TaskRecord, state: TaskState, time = Date.now()): void {
    const before = record.state;
    if ((before === 'launched' || before === 'joining') && state !== 'launched' && state !== 'joining') this.#counts.running--;
    if ((state === 'launched' || state === 'joining') && before !== 'launched' && before !== 'joining') this.#counts.running++;
    if (before === 'joining') this.#joining--;
    if (state === 'joining') this.#joining++;
    record.state = state;
    this.#monitor?.taskState(record.id, record.tries.length > 0 ? record.tries.length - 1 : 0, state, time);
  }

  #succeed(record: TaskRecord, value: unknown, state: TaskState = 'exec_done'): void {
    // task_exit: the result is in the checkpoint file before anyone sees it.
    if (record.hashsum !== undefined) this.#memo!.recordSuccess(record.hashsum, value, record.id, record.definition.name);
    this.#setState(record, state);
    this.#release(record);
    this.#counts.done++;
    record.future.settleValue(value);
    if (record.outputs) for (const output of record.outputs) output.settleValue(output.file as File);
    if (record.staging) for (const stream of record.staging.streams) stream.settleValue(stream.file);
  }

  #fail(record: TaskRecord, error: Error, state: TaskState): void {
    this.#setState(record, state);
    this.#release(record);
    this.#counts.failed++;
    if (state !== 'dep_fail') this.logger.info(`Task ${record.id} ${state}: ${error.name}: ${error.message}`);
    record.future.settleError(error);
    if (record.outputs) for (const output of record.outputs) output.settleError(error);
    if (record.staging) for (const stream of record.staging.streams) stream.settleError(error);
  }

  #release(record: TaskRecord): void {
    this.#tasks.delete(record.id);
    record.args = [];
    if (this.#tasks.size === 0) this.#notifyIdle();
  }

  #idleWaiters: (() => void)[] = [];

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Ends the run now (Ctrl-C under `parsl-ts run`): every task not finished fails with
   * TaskCancelledError, then `cleanup()` stops executors and providers and flushes checkpoints.
   */
  interrupt(): Promise<void> {
    this.logger.warn(`interrupted: failing ${this.#tasks.size} unfinished task(s) and shutting down`);
    this.#closed = true;
    for (const record of [...this.#tasks.values()]) {
      if (record.state === 'pending') this.#counts.pending--;
      if (record.hashsum !== undefined) this.#memo!.forget(record.hashsum, record.future);
      record.hashsum = undefined;
      this.#fail(record, new TaskCancelledError(record.id), 'cancelled');
    }
    return this.cleanup();
  }

  /** Cancels a task that has not started: true if cancelled, false once it runs or ended. */
  cancelTask(taskId: number): boolean {
    const record = this.#tasks.get(taskId);
    if (record === undefined) return false;
    if (record.state === 'unsched' || record.state === 'pending') {
      if (record.state === 'pending') this.#counts.pending--;
      this.logger.info(`Task ${taskId} cancelled before launch`);
    } else if (record.state === 'launched' && record.executor !== undefined && this.#executors.get(record.executor)?.cancel(taskId)) {
      this.logger.info(`Task ${taskId} cancelled while queued in executor ${record.executor}`);
    } else {
      return false;
    }
    if (record.hashsum !== undefined) this.#memo!.forget(record.hashsum, record.future);
    record.hashsum = undefined;
    this.#fail(record, new TaskCancelledError(taskId), 'cancelled');
    return true;
  }

  /** Resolves when every task submitted so far has ended. */
  async waitForCurrentTasks(): Promise<void> {
    const pending = [...this.#tasks.values()].map((record) => record.future);
    await Promise.allSettled(pending);
  }

  /** Resolves once no task is alive (including tasks submitted while waiting). */
  #whenIdle(): Promise<void> {
    if (this.#tasks.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Waits for every task, stops executors, flushes logs; idempotent. */
  cleanup(): Promise<void> {
    this.#cleanupPromise ??= (async () => {
      this.logger.info('cleanup: waiting for tasks to end');
      await this.#whenIdle();
      this.#closed = true;
      this.#memo?.close();
      await this.#strategy?.stop();
      await Promise.allSettled([...this.#executors.values()].map((executor) => executor.shutdown()));
      // After the executors: their last block and node states are recorded too.
      await this.#monitor?.close();
      // The TypeScript loader's esbuild service is a child process too: leave none behind.
      await stopTypeScriptService();
      this.#statusFile?.stop();
      const c = this.#counts;
      this.logger.info(`cleanup: done (${c.submitted} tasks: ${c.done} done, ${c.failed} failed)`);
      await this.logger.flush();
      this.onCleanup?.();
    })();
    return this.#cleanupPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cleanup();
  }
}
