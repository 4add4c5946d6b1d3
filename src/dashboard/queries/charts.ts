/**
 * The workflow page's charts: task timeline (tries as bars per worker), tasks over time,
 * resource use over time per node and per app, and the dependency graph. Each one reads a
 * bounded number of rows whatever the size of the run: bucketed in SQL, limited, or read
 * from evenly spaced windows (a stratified sample) and labelled as such.
 */
import type { DashboardDatabase } from '../database.js';
import { bucketsFor, num, numOrNull, sampleWindows, windowsCte, type Buckets } from './sql.js';
import { getWorkflow, taskIdRange } from './workflows.js';

/** The span a chart covers: the run's start to its end, or to now while it runs. */
async function runSpan(db: DashboardDatabase, runId: string): Promise<{ from: number; to: number } | undefined> {
  const workflow = await getWorkflow(db, runId);
  if (workflow === undefined) return undefined;
  const to = workflow.completed ?? (workflow.state === 'running' ? Date.now() / 1000 : workflow.lastUpdate ?? workflow.began);
  return { from: workflow.began, to: Math.max(to, workflow.began + 1) };
}

// --- Task timeline ---

export const TIMELINE_LIMIT = 2000;

export interface TimelineBar {
  taskId: number;
  tryId: number;
  app: string;
  /** "host · worker" (or the block when the host is unknown). */
  lane: string;
  start: number;
  /** null: still running. */
  end: number | null;
  state: string | null;
}

export interface Timeline {
  /** The window asked for (the whole run by default). */
  from: number;
  to: number;
  bars: TimelineBar[];
  /** More tries started in the window than TIMELINE_LIMIT: the latest ones are shown. */
  truncated: boolean;
  /** The whole run, for the zoom control. */
  runFrom: number;
  runTo: number;
}

export async function timeline(db: DashboardDatabase, runId: string, from?: number, to?: number): Promise<Timeline | undefined> {
  const span = await runSpan(db, runId);
  if (span === undefined) return undefined;
  const windowFrom = from ?? span.from - 1;
  const windowTo = to ?? span.to + 1;
  // The latest tries of the window first (an index range scan), then their apps.
  const rows = await db.all(`SELECT y.*, t.task_func_name AS app FROM (
      SELECT task_id, try_id, hostname, worker_id, block_id, task_try_time_running AS start,
        task_try_time_returned AS "end", task_try_status AS state
      FROM "try" WHERE run_id = ? AND task_try_time_running >= ? AND task_try_time_running <= ?
      ORDER BY task_try_time_running DESC LIMIT ?) y
    JOIN task t ON t.run_id = ? AND t.task_id = y.task_id
    ORDER BY y.start DESC`, [runId, windowFrom, windowTo, TIMELINE_LIMIT + 1, runId]);
  const truncated = rows.length > TIMELINE_LIMIT;
  const bars = rows.slice(0, TIMELINE_LIMIT).reverse().map((row): TimelineBar => ({
    taskId: num(row['task_id']),
    tryId: num(row['try_id']),
    app: String(row['app']),
    lane: laneName(row),
    start: num(row['start']),
    end: numOrNull(row['end']),
    state: row['state'] as string | null,
  }));
  return { from: windowFrom, to: windowTo, bars, truncated, runFrom: span.from, runTo: span.to };
}

function laneName(row: Record<string, unknown>): string {
  const host = (row['hostname'] as string | null) ?? `block ${row['block_id'] ?? '?'}`;
  const worker = row['worker_id'];
  return worker === null || worker === undefined ? host : `${host} · w${worker}`;
}

// --- Tasks over time ---

export interface TasksOverTime {
  buckets: Buckets;
  /** Per bucket: tasks submitted, tries that started running, tasks that finished (any final state). */
  submitted: number[];
  started: number[];
  finished: number[];
}

/** Rows per bucket, one index range count each (a GROUP BY would compute a bucket for every row). */
async function countPerBucket(db: DashboardDatabase, table: string, column: string, runId: string, buckets: Buckets): Promise<number[]> {
  const cte = windowsCte({ start: buckets.start, step: buckets.width, width: buckets.width, end: buckets.start + (buckets.count - 1) * buckets.width, fraction: 1 });
  const rows = await db.all<{ lo: number; n: number }>(`${cte.sql}
    SELECT w.lo AS lo, (SELECT count(*) FROM ${table}
      WHERE run_id = ? AND ${column} >= w.lo AND ${column} < w.lo + CAST(? AS DOUBLE PRECISION)) AS n
    FROM w`, [...cte.params, runId, buckets.width]);
  const counts = new Array<number>(buckets.count).fill(0);
  for (const row of rows) {
    const index = Math.round((num(row.lo) - buckets.start) / buckets.width);
    if (index >= 0 && index < buckets.count) counts[index] = num(row.n);
  }
  return counts;
}

export async function tasksOverTime(db: DashboardDatabase, runId: string): Promise<TasksOverTime | undefined> {
  const span = await runSpan(db, runId);
  if (span === undefined) return undefined;
  const buckets = bucketsFor(span.from, span.to);
  return {
    buckets,
    submitted: await countPerBucket(db, 'task', 'task_time_invoked', runId, buckets),
    started: await countPerBucket(db, '"try"', 'task_try_time_running', runId, buckets),
    finished: await countPerBucket(db, 'task', 'task_time_returned', runId, buckets),
  };
}

// --- Resources over time ---

export interface ResourceSeries {
  name: string;
  /** Per bucket: CPU in use (percent of one core, summed over the tries running). */
  cpu: (number | null)[];
  /** Per bucket: resident memory of the tries running, summed (bytes). */
  rss: (number | null)[];
}

export interface ResourcesOverTime {
  buckets: Buckets;
  /** Seconds read at the start of each bucket (= the bucket's width: every sample read). */
  sliceSeconds: number;
  sampled: boolean;
  hosts: ResourceSeries[];
  apps: ResourceSeries[];
}

/**
 * Each bucket is estimated from the samples in a slice at its start, at least two sampling
 * intervals long, so every running try is seen about twice: what a bucket reads depends on
 * how many tries run at once, not on how many ran in all.
 */
export async function resourcesOverTime(db: DashboardDatabase, runId: string): Promise<ResourcesOverTime | undefined> {
  const span = await runSpan(db, runId);
  if (span === undefined) return undefined;
  const [first] = await db.all('SELECT resource_monitoring_interval AS i FROM resource WHERE run_id = ? LIMIT 1', [runId]);
  const interval = numOrNull(first?.['i']) ?? 1;
  // A bucket narrower than the sampling interval would hold a sample or none, by chance.
  const buckets = bucketsFor(span.from, span.to, undefined, interval);
  const slice = Math.min(buckets.width, Math.max(2 * interval, 0.001));
  const windows = { start: buckets.start, step: buckets.width, width: slice, end: buckets.start + (buckets.count - 1) * buckets.width, fraction: slice / buckets.width };
  const cte = windowsCte(windows);
  // A sample stands for `interval` seconds of its try; the slice is `slice` seconds long.
  const scale = interval / slice;
  const series = async (groupColumn: string, join: string) => {
    const rows = await db.all<{ lo: number; name: string | null; cpu: number | null; rss: number | null }>(`${cte.sql}
      SELECT w.lo AS lo, ${groupColumn} AS name,
        sum(r.psutil_process_cpu_percent) AS cpu, sum(r.psutil_process_memory_resident) AS rss
      FROM w JOIN resource r ON r.run_id = ? AND r."timestamp" >= w.lo AND r."timestamp" < w.lo + CAST(? AS DOUBLE PRECISION)
      ${join}
      GROUP BY w.lo, ${groupColumn}`, [...cte.params, runId, slice]);
    const byName = new Map<string, ResourceSeries>();
    for (const row of rows) {
      const name = row.name ?? 'unknown';
      let entry = byName.get(name);
      if (entry === undefined) {
        byName.set(name, entry = { name, cpu: new Array(buckets.count).fill(null), rss: new Array(buckets.count).fill(null) });
      }
      const index = Math.round((num(row.lo) - buckets.start) / buckets.width);
      if (index < 0 || index >= buckets.count) continue;
      entry.cpu[index] = row.cpu === null ? null : num(row.cpu) * scale;
      entry.rss[index] = row.rss === null ? null : num(row.rss) * scale;
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  };
  return {
    buckets,
    sliceSeconds: slice,
    sampled: slice < buckets.width,
    hosts: await series('r.hostname', ''),
    apps: await series('t.task_func_name', 'JOIN task t ON t.run_id = r.run_id AND t.task_id = r.task_id'),
  };
}

// --- Dependency graph ---

/** Up to this many tasks the graph shows every task; beyond it, one node per app. */
export const GRAPH_TASK_LIMIT = 500;
/** Edges between apps are counted from at most about this many dependencies. */
export const GRAPH_EDGE_SAMPLE = 20_000;

export interface TaskGraph {
  grouped: false;
  nodes: { id: number; app: string; state: string | null }[];
  edges: { from: number; to: number }[];
}

export interface AppGraph {
  grouped: true;
  nodes: { app: string; tasks: number; states: Record<string, number> }[];
  /** `dependencies`: how many task-to-task edges run from app `from` to app `to` (estimated when sampled). */
  edges: { from: string; to: string; dependencies: number }[];
  sampled: boolean;
}

export async function dependencyGraph(db: DashboardDatabase, runId: string): Promise<TaskGraph | AppGraph> {
  const [count] = await db.all('SELECT count(*) AS n FROM task WHERE run_id = ?', [runId]);
  const tasks = num(count?.['n']);
  if (tasks <= GRAPH_TASK_LIMIT) {
    const nodes = await db.all('SELECT task_id, task_func_name, task_status_name FROM task WHERE run_id = ? ORDER BY task_id', [runId]);
    const edges = await db.all('SELECT depends_on, task_id FROM dependency WHERE run_id = ?', [runId]);
    return {
      grouped: false,
      nodes: nodes.map((row) => ({ id: num(row['task_id']), app: String(row['task_func_name']), state: row['task_status_name'] as string | null })),
      edges: edges.map((row) => ({ from: num(row['depends_on']), to: num(row['task_id']) })),
    };
  }
  const counts = await db.all<{ app: string; state: string | null; n: number }>(
    'SELECT task_func_name AS app, task_status_name AS state, count(*) AS n FROM task WHERE run_id = ? GROUP BY task_func_name, task_status_name', [runId]);
  const nodes = new Map<string, AppGraph['nodes'][number]>();
  for (const row of counts) {
    let node = nodes.get(row.app);
    if (node === undefined) nodes.set(row.app, node = { app: row.app, tasks: 0, states: {} });
    node.tasks += num(row.n);
    node.states[row.state ?? 'unknown'] = (node.states[row.state ?? 'unknown'] ?? 0) + num(row.n);
  }
  const range = await taskIdRange(db, runId);
  const windows = sampleWindows(range.lo, range.hi, GRAPH_EDGE_SAMPLE / tasks);
  const cte = windowsCte(windows);
  const edges = await db.all<{ source: string; target: string; n: number }>(`${cte.sql}
    SELECT p.task_func_name AS source, c.task_func_name AS target, count(*) AS n
    FROM w JOIN dependency d ON d.run_id = ? AND d.task_id >= w.lo AND d.task_id < w.lo + CAST(? AS DOUBLE PRECISION)
    JOIN task c ON c.run_id = d.run_id AND c.task_id = d.task_id
    JOIN task p ON p.run_id = d.run_id AND p.task_id = d.depends_on
    GROUP BY p.task_func_name, c.task_func_name`, [...cte.params, runId, windows.width]);
  return {
    grouped: true,
    nodes: [...nodes.values()].sort((a, b) => a.app.localeCompare(b.app)),
    edges: edges.map((row) => ({ from: row.source, to: row.target, dependencies: Math.round(num(row.n) / windows.fraction) })),
    sampled: windows.fraction < 1,
  };
}
