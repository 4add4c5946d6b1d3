/**
 * The monitoring recorder: the DataFlowKernel and the executors report events to it; it
 * keeps the rows of live tasks, tries and nodes, and every ~100 ms hands everything that
 * changed to the writer thread as one batch (one transaction there). Reporting an event
 * only touches memory; the database is never waited on, and nothing flows back into the
 * DFK or the executors. See docs/monitoring.md.
 */
import { hostname, userInfo } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../util/logger.js';
import { ownModuleUrl, threadEntryFor } from '../util/own-modules.js';
import { SAMPLE_FIELDS, type ExecutorMonitor, type NodeReport, type TryPlacement } from './events.js';
import { FINAL_TASK_STATES, type TableName, type TaskStatusName } from './schema.js';
import { wireColumns, type RowBatch } from './store.js';
import { isPostgresUrl, sqlitePath } from './open-store.js';
import { redactUrl } from './postgres-store.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

const WRITER_ENTRY = threadEntryFor(ownModuleUrl('./writer.js', import.meta.url));
const FLUSH_INTERVAL_MS = 100;
/** A batch is sent early once this many rows wait. */
const EARLY_FLUSH_ROWS = 20_000;
/** The workflow row's time_last_update moves at most this often. */
const WORKFLOW_UPDATE_MS = 1000;
/** cleanup() gives up on the writer after this long without progress. */
const CLOSE_NO_PROGRESS_MS = 3000;

export interface RecorderOptions {
  /** A path (SQLite) or `sqlite:///…` / `postgresql://…` URL. */
  dbUrl: string;
  runId: string;
  runDir: string;
  workflowName?: string;
  workflowVersion?: string;
  /** Seconds between resource samples; 0: no sampling. */
  resourceInterval: number;
  logger: Logger;
}

/** Position of each wire column (all but run_id) of a table. */
function positions<T extends TableName>(table: T): Record<string, number> {
  const map: Record<string, number> = {};
  wireColumns(table).forEach((name, index) => { map[name] = index; });
  return map;
}
const TASK = positions('task');
const TRY = positions('try');
const NODE = positions('node');
const WIDTH = {
  task: wireColumns('task').length, try: wireColumns('try').length, node: wireColumns('node').length,
  workflow: wireColumns('workflow').length,
};

/** A row held while its task, try or node may still change. */
interface LiveRow {
  values: unknown[];
  dirty: boolean;
}

interface LiveTask extends LiveRow {
  final: boolean;
  tries: (LiveRow | undefined)[];
}

const FINAL = new Set<string>(FINAL_TASK_STATES);
const seconds = (ms: number): number => ms / 1000;

function errorText(error: Error): string {
  return `${error.name}: ${error.message}`;
}

export class Recorder implements ExecutorMonitor {
  readonly runId: string;
  readonly resourceInterval: number;
  readonly dbUrl: string;
  #logger: Logger;
  #writer: Worker;
  #writerAlive = true;
  #timer: NodeJS.Timeout;
  #tasks = new Map<number, LiveTask>();
  #dirtyTasks: LiveTask[] = [];
  #dirtyTries: LiveRow[] = [];
  #nodes = new Map<string, LiveRow>();
  #status: unknown[] = [];
  #block: unknown[] = [];
  #resource: unknown[] = [];
  #dependency: unknown[] = [];
  #pendingRows = 0;
  #earlyFlush = false;
  #workflow: unknown[];
  #lastWorkflowUpdate = 0;
  #counts = { submitted: 0, completed: 0, failed: 0 };
  #nextBatchId = 0;
  #lastWritten = -1;
  #failing: string | undefined;
  #droppedRows = 0;
  #closed = false;
  #onWriterEvent: (() => void) | undefined;

  constructor(options: RecorderOptions) {
    this.runId = options.runId;
    this.dbUrl = options.dbUrl;
    this.resourceInterval = options.resourceInterval;
    this.#logger = options.logger;
    let user = 'unknown';
    try { user = userInfo().username; } catch { /* no passwd entry */ }
    const now = seconds(Date.now());
    this.#workflow = [options.workflowName ?? null, options.workflowVersion ?? null, now, null, hostname(), user,
      options.runDir, 0, 0, now, 0];
    this.#writer = new Worker(WRITER_ENTRY.script, { workerData: { ...WRITER_ENTRY.workerData, dbUrl: options.dbUrl } });
    this.#writer.unref();
    this.#writer.on('message', (reply: WriterReply) => this.#onReply(reply));
    this.#writer.on('error', (error) => {
      this.#writerAlive = false;
      this.#logger.error(`monitoring: the database writer failed: ${error.stack ?? error.message}; nothing more is recorded`);
      this.#onWriterEvent?.();
    });
    this.#writer.on('exit', () => { this.#writerAlive = false; this.#onWriterEvent?.(); });
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
    this.flush(); // the workflow row, at once: a dashboard shows the run as soon as it starts
  }

  // ------------------------------------------------------------ DFK events

  /** A task was submitted. */
  taskSubmitted(taskId: number, funcName: string, memoize: boolean, invokedAt: number): void {
    const values: unknown[] = new Array(WIDTH.task).fill(null);
    values[TASK.task_id!] = taskId;
    values[TASK.task_func_name!] = funcName;
    values[TASK.task_memoize!] = memoize ? '1' : '0';
    values[TASK.task_time_invoked!] = seconds(invokedAt);
    values[TASK.task_fail_count!] = 0;
    values[TASK.task_fail_cost!] = 0;
    values[TASK.task_status_name!] = 'unsched';
    const task: LiveTask = { values, dirty: true, final: false, tries: [] };
    this.#tasks.set(taskId, task);
    this.#dirtyTasks.push(task);
    this.#counts.submitted++;
    this.#rowsAdded(1);
  }

  /** The tasks a task waits on (undefined: a promise that is no task's future). */
  taskDepends(taskId: number, depends: (number | undefined)[]): void {
    const task = this.#tasks.get(taskId);
    if (task === undefined) return;
    const ids = [...new Set(depends.filter((id): id is number => id !== undefined))];
    if (ids.length === 0) return;
    task.values[TASK.task_depends!] = ids.join(',');
    for (const dependency of ids) this.#dependency.push(taskId, dependency);
    this.#rowsAdded(ids.length);
    this.#markTask(task);
  }

  /** Keyword-given files and streams of a task (text, as Parsl shows them). */
  taskFiles(taskId: number, files: { inputs?: string; outputs?: string; stdout?: string; stderr?: string }): void {
    const task = this.#tasks.get(taskId);
    if (task === undefined) return;
    if (files.inputs !== undefined) task.values[TASK.task_inputs!] = files.inputs;
    if (files.outputs !== undefined) task.values[TASK.task_outputs!] = files.outputs;
    if (files.stdout !== undefined) task.values[TASK.task_stdout!] = files.stdout;
    if (files.stderr !== undefined) task.values[TASK.task_stderr!] = files.stderr;
    this.#markTask(task);
  }

  taskHashsum(taskId: number, hashsum: string): void {
    const task = this.#tasks.get(taskId);
    if (task === undefined) return;
    task.values[TASK.task_hashsum!] = hashsum;
    this.#markTask(task);
  }

  /** A state change: a `status` row, and the task's latest state. */
  taskState(taskId: number, tryId: number, state: TaskStatusName, time: number): void {
    this.#status.push(taskId, state, seconds(time), tryId);
    const task = this.#tasks.get(taskId);
    this.#rowsAdded(1);
    if (task === undefined) return;
    task.values[TASK.task_status_name!] = state;
    if (FINAL.has(state)) {
      task.final = true;
      task.values[TASK.task_time_returned!] = seconds(time);
      if (state === 'exec_done' || state === 'memo_done') this.#counts.completed++;
      else this.#counts.failed++;
    }
    this.#markTask(task);
  }

  /** A failed try counted against the retry budget. */
  taskFailCost(taskId: number, failCount: number, failCost: number): void {
    const task = this.#tasks.get(taskId);
    if (task === undefined) return;
    task.values[TASK.task_fail_count!] = failCount;
    task.values[TASK.task_fail_cost!] = failCost;
    this.#markTask(task);
  }

  /** A try was handed to an executor. */
  tryLaunched(taskId: number, tryId: number, executor: string, time: number): void {
    const task = this.#tasks.get(taskId);
    if (task === undefined) return;
    const values: unknown[] = new Array(WIDTH.try).fill(null);
    values[TRY.try_id!] = tryId;
    values[TRY.task_id!] = taskId;
    values[TRY.task_executor!] = executor;
    values[TRY.task_try_time_launched!] = seconds(time);
    values[TRY.task_try_status!] = 'launched';
    const attempt: LiveRow = { values, dirty: true };
    task.tries[tryId] = attempt;
    this.#dirtyTries.push(attempt);
    task.values[TASK.task_executor!] = executor;
    this.#markTask(task);
    this.#rowsAdded(1);
  }

  /** A try ended: with `error` when it failed. */
  tryReturned(taskId: number, tryId: number, time: number, error: Error | undefined): void {
    const attempt = this.#tasks.get(taskId)?.tries[tryId];
    if (attempt === undefined) return;
    attempt.values[TRY.task_try_time_returned!] = seconds(time);
    attempt.values[TRY.task_try_status!] = error === undefined ? 'exec_done' : 'failed';
    if (error !== undefined) attempt.values[TRY.task_fail_history!] = errorText(error);
    this.#markTry(attempt);
  }

  // ------------------------------------------------------------ executor events

  tryRunning(taskId: number, tryId: number, time: number, placement: TryPlacement): void {
    const attempt = this.#tasks.get(taskId)?.tries[tryId];
    if (attempt === undefined) return;
    const values = attempt.values;
    values[TRY.task_try_time_running!] = seconds(time);
    values[TRY.task_try_status!] = 'running';
    if (placement.hostname !== undefined) values[TRY.hostname!] = placement.hostname;
    if (placement.blockId !== undefined) values[TRY.block_id!] = placement.blockId;
    if (placement.managerId !== undefined) values[TRY.manager_id!] = placement.managerId;
    if (placement.workerId !== undefined) values[TRY.worker_id!] = placement.workerId;
    this.#markTry(attempt);
    this.taskState(taskId, tryId, 'running', time);
  }

  resourceSamples(flat: readonly number[], host: string): void {
    const interval = this.resourceInterval;
    for (let i = 0; i + SAMPLE_FIELDS <= flat.length; i += SAMPLE_FIELDS) {
      // Wire order of `resource` (run_id aside): try, task, time, interval, pid, cpu %, memory %,
      // children, user, system, virtual, resident, read, write, status, hostname.
      this.#resource.push(flat[i + 1], flat[i], seconds(flat[i + 2]!), interval, flat[i + 3], flat[i + 11], null,
        flat[i + 10], flat[i + 4], flat[i + 5], flat[i + 7], flat[i + 6], flat[i + 8], flat[i + 9], null, host);
    }
    this.#rowsAdded(flat.length / SAMPLE_FIELDS);
  }

  blockState(executorLabel: string, blockId: string, jobId: string | undefined, state: string, message: string | undefined, time: number): void {
    this.#block.push(executorLabel, blockId, jobId ?? null, seconds(time), state.toUpperCase(), message ?? null);
    this.#rowsAdded(1);
  }

  node(report: NodeReport): void {
    let node = this.#nodes.get(report.uid);
    if (node === undefined) {
      node = { values: new Array(WIDTH.node).fill(null), dirty: false };
      this.#nodes.set(report.uid, node);
    }
    const values = node.values;
    values[NODE.hostname!] = report.hostname;
    values[NODE.uid!] = report.uid;
    values[NODE.block_id!] = report.blockId;
    values[NODE.cpu_count!] = report.cpuCount;
    values[NODE.total_memory!] = report.totalMemory;
    values[NODE.active!] = report.active ? 1 : 0;
    values[NODE.worker_count!] = report.workerCount;
    values[NODE.python_v!] = report.nodeVersion;
    values[NODE.timestamp!] = seconds(Date.now());
    values[NODE.last_heartbeat!] = seconds(report.lastHeartbeat);
    values[NODE.executor_label!] = report.executorLabel;
    values[NODE.time_registered!] = seconds(report.registeredAt);
    values[NODE.manager_memory_resident!] = report.managerMemoryResident ?? null;
    if (!node.dirty) { node.dirty = true; this.#rowsAdded(1); }
  }

  // ------------------------------------------------------------ batching

  #markTask(task: LiveTask): void {
    if (task.dirty) return;
    task.dirty = true;
    this.#dirtyTasks.push(task);
    this.#rowsAdded(1);
  }

  #markTry(attempt: LiveRow): void {
    if (attempt.dirty) return;
    attempt.dirty = true;
    this.#dirtyTries.push(attempt);
    this.#rowsAdded(1);
  }

  #rowsAdded(rows: number): void {
    this.#pendingRows += rows;
    if (this.#pendingRows >= EARLY_FLUSH_ROWS && !this.#earlyFlush) {
      this.#earlyFlush = true;
      setImmediate(() => { this.#earlyFlush = false; this.flush(); });
    }
  }

  /** Hands every changed row to the writer as one batch. */
  flush(final = false): void {
    const rows: RowBatch['rows'] = {};
    const now = Date.now();
    if (final || now - this.#lastWorkflowUpdate >= WORKFLOW_UPDATE_MS) {
      this.#lastWorkflowUpdate = now;
      const w = this.#workflow;
      w[7] = this.#counts.failed;
      w[8] = this.#counts.completed;
      w[9] = seconds(now);
      w[10] = this.#counts.submitted;
      if (final) w[3] = seconds(now);
      rows.workflow = w.slice();
    }
    if (this.#dirtyTasks.length > 0) {
      const flat: unknown[] = [];
      for (const task of this.#dirtyTasks) {
        task.dirty = false;
        for (const value of task.values) flat.push(value);
        if (task.final) this.#tasks.delete(task.values[TASK.task_id!] as number);
      }
      this.#dirtyTasks = [];
      rows.task = flat;
    }
    if (this.#dirtyTries.length > 0) {
      const flat: unknown[] = [];
      for (const attempt of this.#dirtyTries) {
        attempt.dirty = false;
        for (const value of attempt.values) flat.push(value);
      }
      this.#dirtyTries = [];
      rows.try = flat;
    }
    const dirtyNodes = [...this.#nodes.values()].filter((node) => node.dirty);
    if (dirtyNodes.length > 0) {
      const flat: unknown[] = [];
      for (const node of dirtyNodes) { node.dirty = false; flat.push(...node.values); }
      rows.node = flat;
    }
    if (this.#status.length > 0) { rows.status = this.#status; this.#status = []; }
    if (this.#block.length > 0) { rows.block = this.#block; this.#block = []; }
    if (this.#resource.length > 0) { rows.resource = this.#resource; this.#resource = []; }
    if (this.#dependency.length > 0) { rows.dependency = this.#dependency; this.#dependency = []; }
    this.#pendingRows = 0;
    if (Object.keys(rows).length === 0 || !this.#writerAlive) return;
    const request: WriterRequest = { type: 'batch', id: this.#nextBatchId++, batch: { runId: this.runId, rows } };
    this.#writer.postMessage(request);
  }

  #onReply(reply: WriterReply): void {
    switch (reply.type) {
      case 'written':
        this.#lastWritten = reply.id;
        break;
      case 'error':
        if (this.#failing === undefined) {
          this.#logger.error(`monitoring: cannot write to the database ${this.description}: ${reply.message}; `
            + 'the workflow goes on and the recorder keeps retrying (further errors are not logged until it recovers)');
        }
        this.#failing = reply.message;
        break;
      case 'recovered':
        this.#logger.info(`monitoring: the database ${this.description} is written again`);
        this.#failing = undefined;
        break;
      case 'dropped':
        this.#droppedRows += reply.rows;
        this.#logger.warn(`monitoring: ${reply.rows} row(s) dropped (${reply.reason})`);
        break;
      case 'closed':
        this.#writerAlive = false;
        break;
    }
    this.#onWriterEvent?.();
  }

  /** The database, for log lines (without a password). */
  get description(): string {
    return isPostgresUrl(this.dbUrl) ? redactUrl(this.dbUrl) : sqlitePath(this.dbUrl);
  }

  /**
   * Records the end of the run, sends what is left and waits for the writer to write it;
   * gives up (and says how much was lost) when the writer makes no progress for a while.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.flush(true);
    if (!this.#writerAlive) return;
    const lastBatch = this.#nextBatchId - 1;
    this.#writer.ref();
    this.#writer.postMessage({ type: 'close' } satisfies WriterRequest);
    let lastProgress = Date.now();
    let seen = this.#lastWritten;
    await new Promise<void>((resolve) => {
      const finish = () => { clearInterval(poll); this.#onWriterEvent = undefined; resolve(); };
      const check = () => {
        if (!this.#writerAlive) { finish(); return; }
        if (this.#lastWritten !== seen) { seen = this.#lastWritten; lastProgress = Date.now(); }
        if (Date.now() - lastProgress >= CLOSE_NO_PROGRESS_MS) finish();
      };
      const poll = setInterval(check, 100);
      this.#onWriterEvent = check;
    });
    if (this.#writerAlive) {
      const unwritten = lastBatch - this.#lastWritten;
      this.#logger.error(`monitoring: gave up waiting for the database ${this.description}`
        + `${this.#failing ? ` (${this.#failing})` : ''}: the last ${unwritten} batch(es) of this run were not written`);
    }
    await this.#writer.terminate();
    if (this.#droppedRows > 0) this.#logger.warn(`monitoring: ${this.#droppedRows} row(s) of this run were dropped in all`);
  }
}

