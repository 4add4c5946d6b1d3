/** The workflows list, a workflow's summary counts and its per-app table. */
import type { DashboardDatabase } from '../database.js';
import { num, numOrNull, percentileOfSorted, sampleWindows, windowsCte } from './sql.js';

/** A run whose recorder has not written for this long, and never completed, is no longer live. */
export const LIVE_STALE_AFTER_S = 30;

export type RunState = 'running' | 'completed' | 'stopped';

export interface WorkflowItem {
  runId: string;
  name: string | null;
  version: string | null;
  began: number;
  completed: number | null;
  lastUpdate: number | null;
  host: string;
  user: string;
  rundir: string;
  submitted: number | null;
  completedCount: number;
  failedCount: number;
  state: RunState;
}

function runState(completed: number | null, lastUpdate: number | null, began: number, now: number): RunState {
  if (completed !== null) return 'completed';
  return now - (lastUpdate ?? began) <= LIVE_STALE_AFTER_S ? 'running' : 'stopped';
}

const WORKFLOW_COLUMNS = `run_id, workflow_name, workflow_version, time_began, time_completed, time_last_update,
  host, "user", rundir, tasks_submitted_count, tasks_completed_count, tasks_failed_count`;

function toItem(row: Record<string, unknown>, now: number): WorkflowItem {
  const began = num(row['time_began']);
  const completed = numOrNull(row['time_completed']);
  const lastUpdate = numOrNull(row['time_last_update']);
  return {
    runId: String(row['run_id']),
    name: row['workflow_name'] as string | null,
    version: row['workflow_version'] as string | null,
    began, completed, lastUpdate,
    host: String(row['host']),
    user: String(row['user']),
    rundir: String(row['rundir']),
    submitted: numOrNull(row['tasks_submitted_count']),
    completedCount: num(row['tasks_completed_count']),
    failedCount: num(row['tasks_failed_count']),
    state: runState(completed, lastUpdate, began, now),
  };
}

export async function listWorkflows(db: DashboardDatabase, now = Date.now() / 1000, limit = 500): Promise<WorkflowItem[]> {
  const rows = await db.all(`SELECT ${WORKFLOW_COLUMNS} FROM workflow ORDER BY time_began DESC LIMIT ?`, [limit]);
  return rows.map((row) => toItem(row, now));
}

export async function getWorkflow(db: DashboardDatabase, runId: string, now = Date.now() / 1000): Promise<WorkflowItem | undefined> {
  const [row] = await db.all(`SELECT ${WORKFLOW_COLUMNS} FROM workflow WHERE run_id = ?`, [runId]);
  return row === undefined ? undefined : toItem(row, now);
}

export interface WorkflowSummary {
  workflow: WorkflowItem;
  /** Tasks by their latest state. */
  states: Record<string, number>;
  tasks: number;
  tries: number;
  /** Tries after a task's first: one per retry. */
  retries: number;
  blocks: number;
  nodes: number;
}

/** Tasks by their latest state: the live counter's numbers (one index scan). */
export async function taskStateCounts(db: DashboardDatabase, runId: string): Promise<Record<string, number>> {
  const rows = await db.all<{ state: string | null; n: number }>(
    'SELECT task_status_name AS state, count(*) AS n FROM task WHERE run_id = ? GROUP BY task_status_name', [runId]);
  const states: Record<string, number> = {};
  for (const row of rows) states[row.state ?? 'unknown'] = num(row.n);
  return states;
}

export async function workflowSummary(db: DashboardDatabase, runId: string): Promise<WorkflowSummary | undefined> {
  const workflow = await getWorkflow(db, runId);
  if (workflow === undefined) return undefined;
  const states = await taskStateCounts(db, runId);
  const [tries] = await db.all('SELECT count(*) AS tries, sum(CASE WHEN try_id > 0 THEN 1 ELSE 0 END) AS retries FROM "try" WHERE run_id = ?', [runId]);
  const [blocks] = await db.all('SELECT count(DISTINCT executor_label || \'/\' || block_id) AS n FROM block WHERE run_id = ?', [runId]);
  const [nodes] = await db.all('SELECT count(DISTINCT uid) AS n FROM node WHERE run_id = ?', [runId]);
  return {
    workflow,
    states,
    tasks: Object.values(states).reduce((a, b) => a + b, 0),
    tries: num(tries?.['tries']),
    retries: num(tries?.['retries']),
    blocks: num(blocks?.['n']),
    nodes: num(nodes?.['n']),
  };
}

/** The run's lowest and highest task ids (two index seeks; min() and max() together would scan). */
export async function taskIdRange(db: DashboardDatabase, runId: string): Promise<{ lo: number; hi: number }> {
  const [lo] = await db.all('SELECT task_id FROM task WHERE run_id = ? ORDER BY task_id LIMIT 1', [runId]);
  const [hi] = await db.all('SELECT task_id FROM task WHERE run_id = ? ORDER BY task_id DESC LIMIT 1', [runId]);
  return { lo: num(lo?.['task_id']), hi: num(hi?.['task_id']) };
}

export interface AppStats {
  app: string;
  tasks: number;
  done: number;
  failed: number;
  depFailed: number;
  /** Mean and 95th percentile of a try's run time (running → returned), seconds. */
  meanSeconds: number | null;
  p95Seconds: number | null;
}

export interface AppTable {
  apps: AppStats[];
  /** Tries the durations were computed from, and whether that was a sample of them all. */
  durationTries: number;
  sampled: boolean;
}

/** Durations come from at most about this many tries (a stratified sample beyond it). */
export const DURATION_SAMPLE = 50_000;

export async function appTable(db: DashboardDatabase, runId: string): Promise<AppTable> {
  const counts = await db.all<{ app: string; state: string | null; n: number }>(
    'SELECT task_func_name AS app, task_status_name AS state, count(*) AS n FROM task WHERE run_id = ? GROUP BY task_func_name, task_status_name', [runId]);
  const byApp = new Map<string, AppStats>();
  for (const row of counts) {
    let stats = byApp.get(row.app);
    if (stats === undefined) byApp.set(row.app, stats = { app: row.app, tasks: 0, done: 0, failed: 0, depFailed: 0, meanSeconds: null, p95Seconds: null });
    const n = num(row.n);
    stats.tasks += n;
    if (row.state === 'exec_done' || row.state === 'memo_done') stats.done += n;
    else if (row.state === 'failed') stats.failed += n;
    else if (row.state === 'dep_fail') stats.depFailed += n;
  }
  const range = await taskIdRange(db, runId);
  const total = [...byApp.values()].reduce((a, s) => a + s.tasks, 0);
  const windows = sampleWindows(range.lo, range.hi, DURATION_SAMPLE / Math.max(total, 1));
  const cte = windowsCte(windows);
  const rows = await db.all<{ app: string; seconds: number }>(`${cte.sql}
    SELECT t.task_func_name AS app, y.task_try_time_returned - y.task_try_time_running AS seconds
    FROM w JOIN "try" y ON y.run_id = ? AND y.task_id >= w.lo AND y.task_id < w.lo + CAST(? AS DOUBLE PRECISION)
    JOIN task t ON t.run_id = y.run_id AND t.task_id = y.task_id
    WHERE y.task_try_time_returned IS NOT NULL AND y.task_try_time_running IS NOT NULL`,
  [...cte.params, runId, windows.width]);
  const durations = new Map<string, number[]>();
  for (const row of rows) {
    let list = durations.get(row.app);
    if (list === undefined) durations.set(row.app, list = []);
    list.push(Number(row.seconds));
  }
  for (const [app, list] of durations) {
    const stats = byApp.get(app);
    if (stats === undefined) continue;
    list.sort((a, b) => a - b);
    stats.meanSeconds = list.reduce((a, b) => a + b, 0) / list.length;
    stats.p95Seconds = percentileOfSorted(list, 95);
  }
  return {
    apps: [...byApp.values()].sort((a, b) => b.tasks - a.tasks || a.app.localeCompare(b.app)),
    durationTries: rows.length,
    sampled: windows.fraction < 1,
  };
}
