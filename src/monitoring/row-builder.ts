/**
 * Writer-thread side of the recorder: applies event batches to the rows of live tasks,
 * tries and nodes, and hands out everything that changed as one RowBatch per write. While
 * a write is in progress (or the database is down), changes to the same row coalesce.
 */
import { PROCESS_STATUSES, SAMPLE_FIELDS, type NodeReport } from './events.js';
import { EVENT_WIDTH, EventKind, STATE_NAMES, type EventBatch, type SideEvent } from './event-stream.js';
import { FINAL_TASK_STATES, type TableName } from './schema.js';
import { wireColumns, type RowBatch } from './store.js';

/** Position of each wire column (all but run_id) of a table. */
function positions(table: TableName): Record<string, number> {
  const map: Record<string, number> = {};
  wireColumns(table).forEach((name, index) => { map[name] = index; });
  return map;
}
const TASK = positions('task');
const TRY = positions('try');
const NODE = positions('node');
const WORKFLOW = positions('workflow');
const WIDTH = { task: wireColumns('task').length, try: wireColumns('try').length, node: wireColumns('node').length };
const FINAL = new Set<string>(FINAL_TASK_STATES);
/** Append-only rows (status, resource, block, dependency) kept at most while unwritten; more are dropped. */
const MAX_APPENDED_ROWS = 2_000_000;
/**
 * Tasks that finished but whose rows are not written yet (the database is down or far
 * behind) kept at most; the task and try rows of tasks finishing beyond that are dropped
 * (their status rows stay while MAX_APPENDED_ROWS allows). Tasks still running are always
 * kept, however many.
 */
const MAX_FINISHED_UNWRITTEN = 1_000_000;

/** How much the builder keeps while the database cannot take it. */
export interface RowLimits {
  appendedRows: number;
  finishedTasks: number;
}
const seconds = (ms: number): number => ms / 1000;
/**
 * Seconds between two states of a task recorded in the same millisecond: their timestamps
 * then still sort in the order they happened (times are taken in whole milliseconds).
 */
const TIE_STEP = 1e-6;

interface LiveRow {
  values: unknown[];
  dirty: boolean;
  /** Its rows were dropped (too many waited): never written. */
  dropped?: boolean;
}

interface LiveTask extends LiveRow {
  final: boolean;
  tries: (LiveRow | undefined)[];
  /** Timestamp (s) of its latest status row. */
  lastStatusAt: number;
}

interface Placement {
  hostname: string | null;
  blockId: string | null;
  managerId: string | null;
  workerId: string | null;
}

export interface WorkflowInfo {
  runId: string;
  workflowName: string | null;
  workflowVersion: string | null;
  startedAt: number;
  host: string;
  user: string;
  runDir: string;
  resourceInterval: number;
}

export class RowBuilder {
  #strings: string[] = [];
  #placements = new Map<number, Placement>();
  #tasks = new Map<number, LiveTask>();
  #dirtyTasks: LiveTask[] = [];
  #dirtyTries: LiveRow[] = [];
  #nodes = new Map<string, LiveRow>();
  #appended = { status: [] as unknown[], block: [] as unknown[], resource: [] as unknown[], dependency: [] as unknown[] };
  #appendedRows = 0;
  /** Final tasks among the dirty ones (their rows wait to be written once more). */
  #finishedUnwritten = 0;
  #workflow: unknown[];
  #workflowDirty = true;
  #counts = { submitted: 0, completed: 0, failed: 0 };
  /** Rows dropped because too many waited for an unwritable database. */
  dropped = 0;

  constructor(readonly info: WorkflowInfo, readonly limits: RowLimits = { appendedRows: MAX_APPENDED_ROWS, finishedTasks: MAX_FINISHED_UNWRITTEN }) {
    this.#workflow = new Array(wireColumns('workflow').length).fill(null);
    const w = this.#workflow;
    w[WORKFLOW.workflow_name!] = info.workflowName;
    w[WORKFLOW.workflow_version!] = info.workflowVersion;
    w[WORKFLOW.time_began!] = seconds(info.startedAt);
    w[WORKFLOW.host!] = info.host;
    w[WORKFLOW.user!] = info.user;
    w[WORKFLOW.rundir!] = info.runDir;
  }

  /** Whether anything waits to be written. */
  get pending(): boolean {
    return this.#workflowDirty || this.#dirtyTasks.length > 0 || this.#dirtyTries.length > 0 || this.#appendedRows > 0
      || [...this.#nodes.values()].some((node) => node.dirty);
  }

  apply(batch: EventBatch): void {
    for (const text of batch.strings) this.#strings.push(text);
    const events = batch.events;
    for (let at = 0; at < events.length; at += EVENT_WIDTH) {
      const taskId = events[at + 1]!, tryId = events[at + 2]!, time = events[at + 3]!, argument = events[at + 4]!;
      switch (events[at] as EventKind) {
        case EventKind.Submitted: this.#submitted(taskId, this.#strings[argument]!, tryId === 1, time); break;
        case EventKind.State: this.#state(taskId, tryId, STATE_NAMES[argument]!, time); break;
        case EventKind.Launched: this.#launched(taskId, tryId, this.#strings[argument]!, time); break;
        case EventKind.Running: this.#running(taskId, tryId, time, this.#placements.get(argument)); break;
        case EventKind.Returned: this.#returned(taskId, tryId, time, argument < 0 ? undefined : (batch.side[argument] as { text: string }).text); break;
        case EventKind.Side: this.#side(batch.side[argument]!, taskId); break;
      }
    }
    this.#workflowDirty = true;
  }

  #submitted(taskId: number, funcName: string, memoize: boolean, time: number): void {
    const values: unknown[] = new Array(WIDTH.task).fill(null);
    values[TASK.task_id!] = taskId;
    values[TASK.task_func_name!] = funcName;
    values[TASK.task_memoize!] = memoize ? '1' : '0';
    values[TASK.task_time_invoked!] = seconds(time);
    values[TASK.task_fail_count!] = 0;
    values[TASK.task_fail_cost!] = 0;
    values[TASK.task_status_name!] = 'unsched';
    const task: LiveTask = { values, dirty: true, final: false, tries: [], lastStatusAt: 0 };
    this.#tasks.set(taskId, task);
    this.#dirtyTasks.push(task);
    this.#counts.submitted++;
  }

  /** A status row, and the task's latest state; returns the row's timestamp (s). */
  #state(taskId: number, tryId: number, state: string, time: number): number {
    const task = this.#tasks.get(taskId);
    let at = seconds(time);
    if (task !== undefined) {
      if (at <= task.lastStatusAt) at = task.lastStatusAt + TIE_STEP;
      task.lastStatusAt = at;
    }
    this.#append('status', taskId, state, at, tryId);
    if (task === undefined) return at;
    task.values[TASK.task_status_name!] = state;
    if (state === 'fail_retryable') {
      // The try that just failed is retried: Parsl's state for it (its return said 'failed').
      const attempt = task.tries[tryId];
      if (attempt !== undefined) {
        attempt.values[TRY.task_try_status!] = state;
        this.#markTry(attempt);
      }
    }
    if (FINAL.has(state) && !task.final) {
      task.final = true;
      task.values[TASK.task_time_returned!] = seconds(time);
      if (state === 'exec_done' || state === 'memo_done') this.#counts.completed++;
      else this.#counts.failed++;
      if (this.#finishedUnwritten >= this.limits.finishedTasks) {
        this.#drop(taskId, task);
        return at;
      }
      this.#finishedUnwritten++;
    }
    this.#markTask(task);
    return at;
  }

  #launched(taskId: number, tryId: number, executor: string, time: number): void {
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
  }

  /** Reported once or twice (threads: while it runs, and with its result): the first counts. */
  #running(taskId: number, tryId: number, time: number, placement: Placement | undefined): void {
    const attempt = this.#tasks.get(taskId)?.tries[tryId];
    if (attempt === undefined) return;
    const values = attempt.values;
    if (values[TRY.task_try_time_running!] !== null) return;
    if (placement !== undefined) {
      values[TRY.hostname!] = placement.hostname;
      values[TRY.block_id!] = placement.blockId;
      values[TRY.manager_id!] = placement.managerId;
      values[TRY.worker_id!] = placement.workerId;
    }
    this.#markTry(attempt);
    // A worker's clock may differ from the driver's: a try runs between its launch and its return.
    const launchedAt = values[TRY.task_try_time_launched!] as number;
    let at = Math.max(seconds(time), launchedAt);
    const returnedAt = values[TRY.task_try_time_returned!] as number | null;
    if (returnedAt === null) {
      values[TRY.task_try_status!] = 'running';
      at = this.#state(taskId, tryId, 'running', at * 1000);
    } else {
      // Heard of after its result (should not happen): its row in the history before the
      // return, the task's state unchanged.
      at = Math.max(launchedAt, Math.min(at, returnedAt - TIE_STEP));
      this.#append('status', taskId, 'running', at, tryId);
    }
    values[TRY.task_try_time_running!] = at;
  }

  #returned(taskId: number, tryId: number, time: number, error: string | undefined): void {
    const attempt = this.#tasks.get(taskId)?.tries[tryId];
    if (attempt === undefined) return;
    attempt.values[TRY.task_try_time_returned!] = seconds(time);
    attempt.values[TRY.task_try_status!] = error === undefined ? 'exec_done' : 'failed';
    if (error !== undefined) attempt.values[TRY.task_fail_history!] = error;
    this.#markTry(attempt);
  }

  #side(event: SideEvent, taskId: number): void {
    const task = taskId >= 0 ? this.#tasks.get(taskId) : undefined;
    switch (event.kind) {
      case 'files':
        if (task === undefined) return;
        if (event.inputs !== undefined) task.values[TASK.task_inputs!] = event.inputs;
        if (event.outputs !== undefined) task.values[TASK.task_outputs!] = event.outputs;
        if (event.stdout !== undefined) task.values[TASK.task_stdout!] = event.stdout;
        if (event.stderr !== undefined) task.values[TASK.task_stderr!] = event.stderr;
        this.#markTask(task);
        return;
      case 'hashsum':
        if (task === undefined) return;
        task.values[TASK.task_hashsum!] = event.hashsum;
        this.#markTask(task);
        return;
      case 'depends':
        if (task === undefined) return;
        task.values[TASK.task_depends!] = event.depends.join(',');
        for (const dependency of event.depends) this.#append('dependency', event.taskId, dependency);
        this.#markTask(task);
        return;
      case 'failCost':
        if (task === undefined) return;
        task.values[TASK.task_fail_count!] = event.failCount;
        task.values[TASK.task_fail_cost!] = event.failCost;
        this.#markTask(task);
        return;
      case 'joins': {
        const attempt = task?.tries[event.tryId];
        if (attempt === undefined) return;
        attempt.values[TRY.task_joins!] = event.joins.join(',');
        this.#markTry(attempt);
        return;
      }
      case 'placement':
        this.#placements.set(event.id, event);
        return;
      case 'samples':
        for (let i = 0; i + SAMPLE_FIELDS <= event.flat.length; i += SAMPLE_FIELDS) {
          const f = event.flat;
          // Wire order of `resource` (run_id aside): try, task, time, interval, pid, cpu %, memory %,
          // children, user, system, virtual, resident, read, write, status, hostname.
          this.#append('resource', f[i + 1], f[i], seconds(f[i + 2]!), this.info.resourceInterval, f[i + 3], f[i + 11], f[i + 12],
            f[i + 10], f[i + 4], f[i + 5], f[i + 7], f[i + 6], f[i + 8], f[i + 9], PROCESS_STATUSES[f[i + 13]!] ?? null, event.hostname);
        }
        return;
      case 'block':
        this.#append('block', event.executorLabel, event.blockId, event.jobId, seconds(event.time), event.state.toUpperCase(), event.message);
        return;
      case 'node': this.#node(event.report, event.time); return;
      case 'error': return; // referenced by a Returned event
    }
  }

  /** A manager's row for its state now: an active one, or (once gone) an inactive one. */
  #node(report: NodeReport, time: number): void {
    const key = `${report.uid}\u0000${report.active ? 1 : 0}`;
    let node = this.#nodes.get(key);
    if (node === undefined) {
      node = { values: new Array(WIDTH.node).fill(null), dirty: false };
      this.#nodes.set(key, node);
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
    values[NODE.timestamp!] = seconds(time);
    values[NODE.last_heartbeat!] = seconds(report.lastHeartbeat);
    values[NODE.executor_label!] = report.executorLabel;
    values[NODE.time_registered!] = seconds(report.registeredAt);
    values[NODE.manager_memory_resident!] = report.managerMemoryResident ?? null;
    node.dirty = true;
  }

  /** Forgets a finished task whose rows cannot be kept: it and its tries are not written. */
  #drop(taskId: number, task: LiveTask): void {
    this.#tasks.delete(taskId);
    task.dropped = true;
    this.dropped++;
    for (const attempt of task.tries) {
      if (attempt === undefined) continue;
      attempt.dropped = true;
      this.dropped++;
    }
  }

  #append(table: 'status' | 'block' | 'resource' | 'dependency', ...values: unknown[]): void {
    if (this.#appendedRows >= this.limits.appendedRows) { this.dropped++; return; }
    const rows = this.#appended[table];
    for (const value of values) rows.push(value);
    this.#appendedRows++;
  }

  #markTask(task: LiveTask): void {
    if (task.dirty) return;
    task.dirty = true;
    this.#dirtyTasks.push(task);
  }

  #markTry(attempt: LiveRow): void {
    if (attempt.dirty) return;
    attempt.dirty = true;
    this.#dirtyTries.push(attempt);
  }

  /** Everything changed since the last take, as one batch; `completedAt`: the run ended then. */
  take(completedAt?: number): RowBatch {
    const rows: RowBatch['rows'] = {};
    if (this.#workflowDirty || completedAt !== undefined) {
      this.#workflowDirty = false;
      const w = this.#workflow;
      w[WORKFLOW.tasks_failed_count!] = this.#counts.failed;
      w[WORKFLOW.tasks_completed_count!] = this.#counts.completed;
      w[WORKFLOW.tasks_submitted_count!] = this.#counts.submitted;
      w[WORKFLOW.time_last_update!] = seconds(completedAt ?? Date.now());
      if (completedAt !== undefined) w[WORKFLOW.time_completed!] = seconds(completedAt);
      rows.workflow = w.slice();
    }
    if (this.#dirtyTasks.length > 0) {
      const flat: unknown[] = [];
      for (const task of this.#dirtyTasks) {
        task.dirty = false;
        if (task.dropped) continue;
        for (const value of task.values) flat.push(value);
        if (task.final) this.#tasks.delete(task.values[TASK.task_id!] as number);
      }
      this.#dirtyTasks = [];
      this.#finishedUnwritten = 0;
      if (flat.length > 0) rows.task = flat;
    }
    if (this.#dirtyTries.length > 0) {
      const flat: unknown[] = [];
      for (const attempt of this.#dirtyTries) {
        attempt.dirty = false;
        if (attempt.dropped) continue;
        for (const value of attempt.values) flat.push(value);
      }
      this.#dirtyTries = [];
      if (flat.length > 0) rows.try = flat;
    }
    const nodes: unknown[] = [];
    for (const node of this.#nodes.values()) {
      if (!node.dirty) continue;
      node.dirty = false;
      for (const value of node.values) nodes.push(value);
    }
    if (nodes.length > 0) rows.node = nodes;
    for (const table of ['status', 'block', 'resource', 'dependency'] as const) {
      if (this.#appended[table].length > 0) { rows[table] = this.#appended[table]; this.#appended[table] = []; }
    }
    this.#appendedRows = 0;
    return { runId: this.info.runId, rows };
  }
}
