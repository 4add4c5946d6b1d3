/** Row-level views: the failures table, the blocks page and one task's page. */
import { open } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { DashboardDatabase } from '../database.js';
import { num, numOrNull } from './sql.js';

export interface TryView {
  tryId: number;
  executor: string;
  blockId: string | null;
  hostname: string | null;
  managerId: string | null;
  workerId: string | null;
  launched: number | null;
  running: number | null;
  returned: number | null;
  state: string | null;
  /** "ClassName: message" of a failed try. */
  error: string | null;
  /** A join app's try: the tasks it waited on. */
  joins: number[];
}

function toTry(row: Record<string, unknown>): TryView {
  return {
    tryId: num(row['try_id']),
    executor: String(row['task_executor']),
    blockId: row['block_id'] as string | null,
    hostname: row['hostname'] as string | null,
    managerId: row['manager_id'] as string | null,
    workerId: row['worker_id'] as string | null,
    launched: numOrNull(row['task_try_time_launched']),
    running: numOrNull(row['task_try_time_running']),
    returned: numOrNull(row['task_try_time_returned']),
    state: row['task_try_status'] as string | null,
    error: row['task_fail_history'] as string | null,
    joins: row['task_joins'] ? String(row['task_joins']).split(',').map(Number) : [],
  };
}

const TRY_COLUMNS = `task_id, try_id, task_executor, block_id, hostname, manager_id, worker_id,
  task_try_time_launched, task_try_time_running, task_try_time_returned, task_try_status, task_fail_history, task_joins`;

// --- Failures ---

export const FAILURES_PAGE_SIZE = 25;

export interface FailureRow {
  taskId: number;
  app: string;
  state: string;
  failCount: number;
  invoked: number | null;
  returned: number | null;
  /** Ids of the tasks it waited on (for dep_fail: one of them failed). */
  dependsOn: number[];
  tries: TryView[];
}

export interface Failures {
  state: 'failed' | 'dep_fail';
  total: number;
  page: number;
  pageSize: number;
  rows: FailureRow[];
}

function parseIds(text: unknown): number[] {
  if (typeof text !== 'string' || text === '') return [];
  return text.split(',').map((id) => Number(id.trim())).filter((id) => Number.isFinite(id));
}

/** One page of the tasks that ended `failed` (or `dep_fail`), each with every try and its error. */
export async function failures(db: DashboardDatabase, runId: string, state: 'failed' | 'dep_fail', page: number): Promise<Failures> {
  const [count] = await db.all('SELECT count(*) AS n FROM task WHERE run_id = ? AND task_status_name = ?', [runId, state]);
  const tasks = await db.all(`SELECT task_id, task_func_name, task_status_name, task_fail_count, task_time_invoked,
      task_time_returned, task_depends
    FROM task WHERE run_id = ? AND task_status_name = ? ORDER BY task_id LIMIT ? OFFSET ?`,
  [runId, state, FAILURES_PAGE_SIZE, page * FAILURES_PAGE_SIZE]);
  const ids = tasks.map((row) => num(row['task_id']));
  const tries = ids.length === 0 ? [] : await db.all(
    `SELECT ${TRY_COLUMNS} FROM "try" WHERE run_id = ? AND task_id IN (${ids.map(() => '?').join(', ')}) ORDER BY task_id, try_id`,
    [runId, ...ids]);
  const triesOf = new Map<number, TryView[]>();
  for (const row of tries) {
    const id = num(row['task_id']);
    let list = triesOf.get(id);
    if (list === undefined) triesOf.set(id, list = []);
    list.push(toTry(row));
  }
  return {
    state,
    total: num(count?.['n']),
    page,
    pageSize: FAILURES_PAGE_SIZE,
    rows: tasks.map((row) => ({
      taskId: num(row['task_id']),
      app: String(row['task_func_name']),
      state: String(row['task_status_name']),
      failCount: num(row['task_fail_count']),
      invoked: numOrNull(row['task_time_invoked']),
      returned: numOrNull(row['task_time_returned']),
      dependsOn: parseIds(row['task_depends']),
      tries: triesOf.get(num(row['task_id'])) ?? [],
    })),
  };
}

// --- Blocks ---

export interface BlockView {
  executor: string;
  blockId: string;
  jobId: string | null;
  /** Every state the block went through, in order. */
  history: { status: string; timestamp: number; message: string | null }[];
  status: string;
  /** The last scheduler message (why it failed: scheduler reason, stderr tail). */
  message: string | null;
  tries: number;
  nodes: { hostname: string; uid: string; workers: number; cores: number; memory: number; active: boolean; lastHeartbeat: number }[];
}

export async function blocks(db: DashboardDatabase, runId: string): Promise<BlockView[]> {
  const rows = await db.all(`SELECT executor_label, block_id, job_id, "timestamp", status, scheduler_message
    FROM block WHERE run_id = ? ORDER BY executor_label, block_id, "timestamp"`, [runId]);
  const byKey = new Map<string, BlockView>();
  for (const row of rows) {
    const executor = String(row['executor_label']);
    const blockId = String(row['block_id']);
    const key = `${executor}/${blockId}`;
    let block = byKey.get(key);
    if (block === undefined) byKey.set(key, block = { executor, blockId, jobId: null, history: [], status: '', message: null, tries: 0, nodes: [] });
    const message = row['scheduler_message'] as string | null;
    block.history.push({ status: String(row['status']), timestamp: num(row['timestamp']), message });
    block.status = String(row['status']);
    block.jobId = (row['job_id'] as string | null) ?? block.jobId;
    if (message) block.message = message;
  }
  // A manager has a row while active and one once gone: show its latest.
  const nodeRows = await db.all(`SELECT executor_label, block_id, hostname, uid, worker_count, cpu_count, total_memory, active, last_heartbeat
    FROM node WHERE run_id = ? ORDER BY hostname, uid, "timestamp"`, [runId]);
  const latest = new Map<string, Record<string, unknown>>();
  for (const row of nodeRows) latest.set(String(row['uid']), row);
  for (const row of latest.values()) {
    const block = byKey.get(`${row['executor_label']}/${row['block_id']}`)
      ?? [...byKey.values()].find((b) => b.blockId === String(row['block_id']));
    block?.nodes.push({
      hostname: String(row['hostname']), uid: String(row['uid']), workers: num(row['worker_count']),
      cores: num(row['cpu_count']), memory: num(row['total_memory']), active: num(row['active']) === 1,
      lastHeartbeat: num(row['last_heartbeat']),
    });
  }
  const tries = await db.all('SELECT block_id, task_executor, count(*) AS n FROM "try" WHERE run_id = ? GROUP BY block_id, task_executor', [runId]);
  for (const row of tries) {
    const block = byKey.get(`${row['task_executor']}/${row['block_id']}`);
    if (block) block.tries += num(row['n']);
  }
  return [...byKey.values()];
}

// --- One task ---

export const TASK_RESOURCE_LIMIT = 2000;
export const TASK_CHILDREN_LIMIT = 200;
const STREAM_TAIL_BYTES = 16 * 1024;

export interface StreamView {
  path: string;
  /** The file's last bytes, or null when it cannot be read from the dashboard's machine. */
  tail: string | null;
  truncated: boolean;
}

export interface TaskDetail {
  taskId: number;
  app: string;
  state: string | null;
  executor: string | null;
  memoize: string;
  hashsum: string | null;
  invoked: number | null;
  returned: number | null;
  failCount: number;
  failCost: number;
  inputs: string | null;
  outputs: string | null;
  parents: { taskId: number; app: string; state: string | null }[];
  children: { taskId: number; app: string; state: string | null }[];
  tries: TryView[];
  history: { state: string; timestamp: number; tryId: number }[];
  resources: { tryId: number; timestamp: number; cpuPercent: number | null; rss: number | null; cpuUser: number | null; cpuSystem: number | null; read: number | null; write: number | null; children: number | null }[];
  stdout: StreamView | null;
  stderr: StreamView | null;
}

async function readTail(path: string | null, runDir: string | undefined): Promise<StreamView | null> {
  if (!path) return null;
  // A relative path was relative to the workflow's working directory: usually the run dir's grandparent (runinfo/NNN).
  const candidates = isAbsolute(path) || runDir === undefined ? [path] : [resolve(runDir, '..', '..', path), path];
  for (const candidate of candidates) {
    try {
      const file = await open(candidate, 'r');
      try {
        const { size } = await file.stat();
        const length = Math.min(size, STREAM_TAIL_BYTES);
        const buffer = Buffer.alloc(length);
        await file.read(buffer, 0, length, size - length);
        return { path, tail: buffer.toString('utf8'), truncated: size > length };
      } finally {
        await file.close();
      }
    } catch {
      // Not readable here (another machine, removed): try the next place, else say so.
    }
  }
  return { path, tail: null, truncated: false };
}

export async function taskDetail(db: DashboardDatabase, runId: string, taskId: number): Promise<TaskDetail | undefined> {
  const [task] = await db.all(`SELECT t.*, w.rundir FROM task t JOIN workflow w ON w.run_id = t.run_id
    WHERE t.run_id = ? AND t.task_id = ?`, [runId, taskId]);
  if (task === undefined) return undefined;
  const tries = await db.all(`SELECT ${TRY_COLUMNS} FROM "try" WHERE run_id = ? AND task_id = ? ORDER BY try_id`, [runId, taskId]);
  const history = await db.all(`SELECT task_status_name, "timestamp", try_id FROM status
    WHERE run_id = ? AND task_id = ? ORDER BY "timestamp"`, [runId, taskId]);
  const resources = await db.all(`SELECT try_id, "timestamp", psutil_process_cpu_percent, psutil_process_memory_resident,
      psutil_process_time_user, psutil_process_time_system, psutil_process_disk_read, psutil_process_disk_write,
      psutil_process_children_count
    FROM resource WHERE run_id = ? AND task_id = ? ORDER BY "timestamp" LIMIT ?`, [runId, taskId, TASK_RESOURCE_LIMIT]);
  const parents = await db.all(`SELECT t.task_id, t.task_func_name, t.task_status_name FROM dependency d
    JOIN task t ON t.run_id = d.run_id AND t.task_id = d.depends_on
    WHERE d.run_id = ? AND d.task_id = ? ORDER BY t.task_id`, [runId, taskId]);
  const children = await db.all(`SELECT t.task_id, t.task_func_name, t.task_status_name FROM dependency d
    JOIN task t ON t.run_id = d.run_id AND t.task_id = d.task_id
    WHERE d.run_id = ? AND d.depends_on = ? ORDER BY t.task_id LIMIT ?`, [runId, taskId, TASK_CHILDREN_LIMIT]);
  const related = (row: Record<string, unknown>) => ({
    taskId: num(row['task_id']), app: String(row['task_func_name']), state: row['task_status_name'] as string | null,
  });
  const runDir = typeof task['rundir'] === 'string' ? task['rundir'] : undefined;
  return {
    taskId,
    app: String(task['task_func_name']),
    state: task['task_status_name'] as string | null,
    executor: task['task_executor'] as string | null,
    memoize: String(task['task_memoize']),
    hashsum: task['task_hashsum'] as string | null,
    invoked: numOrNull(task['task_time_invoked']),
    returned: numOrNull(task['task_time_returned']),
    failCount: num(task['task_fail_count']),
    failCost: num(task['task_fail_cost']),
    inputs: task['task_inputs'] as string | null,
    outputs: task['task_outputs'] as string | null,
    parents: parents.map(related),
    children: children.map(related),
    tries: tries.map(toTry),
    history: history.map((row) => ({ state: String(row['task_status_name']), timestamp: num(row['timestamp']), tryId: num(row['try_id']) })),
    resources: resources.map((row) => ({
      tryId: num(row['try_id']), timestamp: num(row['timestamp']),
      cpuPercent: numOrNull(row['psutil_process_cpu_percent']), rss: numOrNull(row['psutil_process_memory_resident']),
      cpuUser: numOrNull(row['psutil_process_time_user']), cpuSystem: numOrNull(row['psutil_process_time_system']),
      read: numOrNull(row['psutil_process_disk_read']), write: numOrNull(row['psutil_process_disk_write']),
      children: numOrNull(row['psutil_process_children_count']),
    })),
    stdout: await readTail(task['task_stdout'] as string | null, runDir),
    stderr: await readTail(task['task_stderr'] as string | null, runDir),
  };
}
