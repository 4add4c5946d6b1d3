/**
 * A monitoring database of one 1,000,000-task workflow, written with the real schema: tasks
 * in groups of ten apps with dependencies, one or two tries each (2% retried, 0.3% failed
 * for good and their dependents dep_fail), every state change, one resource sample per try,
 * 16 nodes of 8 workers, their blocks (two of which failed at the scheduler). Deterministic.
 * Made once and cached (`.tmp/`), since writing it takes a minute or two.
 * Alone: `node --import tsx bench/dashboard-db.ts [path] [tasks]`.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { columnNames, createSchemaStatements, quoteIdent, type TableName } from '../src/monitoring/schema.js';

export const BENCH_RUN_ID = 'bench-1m-0000-0000-000000000001';
const GENERATOR_VERSION = 1;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const HOSTS = 16;
const WORKERS_PER_HOST = 8;
/** One group of ten tasks; each entry: app name, mean seconds, indexes (in the group) it waits on. */
const GROUP: readonly [string, number, readonly number[]][] = [
  ['fetch', 0.4, []], ['preprocess', 0.8, [0]], ['preprocess', 0.8, [0]], ['preprocess', 0.8, [0]],
  ['simulate', 3, [1]], ['simulate', 3, [2]], ['simulate', 3, [3]],
  ['analyze', 1.2, [4, 5]], ['analyze', 1.2, [6]], ['reduce', 0.3, [7, 8]],
];

/** Cached path of the database for `tasks` tasks (regenerated when the schema or this file's output changes). */
export function benchDatabasePath(tasks: number): string {
  const schemaTag = hash(createSchemaStatements('sqlite').join(';')).toString(36);
  const root = fileURLToPath(new URL('../.tmp/dashboard-bench/', import.meta.url));
  return join(root, `monitoring-${tasks}-v${GENERATOR_VERSION}-${schemaTag}.db`);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** A small deterministic generator (mulberry32), so every run builds the same database. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function ensureBenchDatabase(tasks = 1_000_000, log: (line: string) => void = () => {}): string {
  const path = benchDatabasePath(tasks);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  const started = performance.now();
  log(`dashboard bench: writing a ${tasks.toLocaleString('en')}-task monitoring database (once; cached in ${dirname(path)})`);
  generate(partial, tasks);
  renameSync(partial, path);
  log(`dashboard bench: database written in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return path;
}

function insertStatement(db: Database.Database, table: TableName) {
  const columns = columnNames(table);
  return db.prepare(`INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
}

function generate(path: string, taskCount: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -200000');
  const statements = createSchemaStatements('sqlite');
  // Tables first, indexes after the rows: building an index once is much faster than keeping it.
  for (const sql of statements.filter((s) => s.startsWith('CREATE TABLE'))) db.exec(sql);
  const insert = {
    workflow: insertStatement(db, 'workflow'), task: insertStatement(db, 'task'), try: insertStatement(db, 'try'),
    status: insertStatement(db, 'status'), block: insertStatement(db, 'block'), node: insertStatement(db, 'node'),
    resource: insertStatement(db, 'resource'), dependency: insertStatement(db, 'dependency'),
  };
  const rand = random(42);
  const run = BENCH_RUN_ID;
  const workers = HOSTS * WORKERS_PER_HOST;
  // Each worker runs its tasks back to back; a task starts when its worker is free.
  const workerFree = new Float64Array(workers).fill(T0 + 5);
  const returnedAt = new Float64Array(taskCount);
  const finalState: string[] = new Array(taskCount);
  let completed = 0;
  let failed = 0;
  let end = T0;

  db.transaction(() => {
    for (let h = 0; h < HOSTS; h++) {
      const block = String(h);
      insert.block.run(run, 'htex', block, `${1000 + h}`, T0 + 0.5, 'PENDING', null);
      insert.block.run(run, 'htex', block, `${1000 + h}`, T0 + 3 + h * 0.1, 'RUNNING', null);
      insert.node.run(run, `node${h + 1}`, `manager-${h}`, block, WORKERS_PER_HOST, 64e9, 0, WORKERS_PER_HOST, 'v20.20.2', T0 + 4, T0 + 4, 'htex', T0 + 4, 120e6);
    }
    for (const [i, reason] of [[16, 'JobHeldAdmin: node fail (exit 1)'], [17, 'sbatch: error: Batch job submission failed: Invalid account']] as const) {
      insert.block.run(run, 'htex', String(i), `${1000 + i}`, T0 + 0.5, 'PENDING', null);
      insert.block.run(run, 'htex', String(i), `${1000 + i}`, T0 + 30, 'FAILED', `${reason}\nstderr: srun: error: task launch failed`);
    }
    for (let id = 0; id < taskCount; id++) {
      const [app, mean, waitsOn] = GROUP[id % GROUP.length]!;
      const groupStart = id - (id % GROUP.length);
      const parents = waitsOn.map((i) => groupStart + i).filter((p) => p < taskCount);
      const invoked = T0 + 1 + id * 0.0001;
      let ready = invoked;
      let depFailed = false;
      for (const parent of parents) {
        insert.dependency.run(run, id, parent);
        ready = Math.max(ready, returnedAt[parent]!);
        if (finalState[parent] !== 'exec_done') depFailed = true;
      }
      insert.status.run(id, 'pending', invoked, run, 0);
      if (depFailed) {
        finalState[id] = 'dep_fail';
        returnedAt[id] = ready;
        failed++;
        insert.status.run(id, 'dep_fail', ready, run, 0);
        insert.task.run(id, run, parents.join(',') || null, app, 'False', null, null, null, null, null, null, invoked, ready, 0, 0, 'dep_fail', 'htex');
        continue;
      }
      const roll = rand();
      const tries = roll < 0.003 ? 2 : roll < 0.02 ? 2 : 1;
      const failsForGood = roll < 0.003;
      let clock = ready;
      let cost = 0;
      for (let t = 0; t < tries; t++) {
        let worker = 0;
        for (let w = 1; w < workers; w++) if (workerFree[w]! < workerFree[worker]!) worker = w;
        const host = Math.floor(worker / WORKERS_PER_HOST);
        const launched = clock;
        const running = Math.max(launched + 0.002, workerFree[worker]!);
        const duration = mean * (0.5 + rand());
        const returned = running + duration;
        workerFree[worker] = returned;
        const lastTry = t === tries - 1;
        const ok = lastTry && !failsForGood;
        const error = ok ? null : t === 0 && !failsForGood ? 'WorkerLost: worker 3 of manager-' + host + ' died (exit code 137)' : `ValueError: ${app} input ${id} out of range`;
        const state = ok ? 'exec_done' : lastTry ? 'failed' : 'fail_retryable';
        insert.try.run(t, id, run, String(host), `node${host + 1}`, 'htex', launched, running, returned, error, null, `manager-${host}`, String(worker % WORKERS_PER_HOST), state);
        insert.status.run(id, 'launched', launched, run, t);
        insert.status.run(id, 'running', running, run, t);
        insert.status.run(id, state, returned, run, t);
        const cpu = app === 'simulate' ? 95 + rand() * 5 : 20 + rand() * 60;
        const rss = (app === 'simulate' ? 800e6 : 150e6) * (0.8 + rand() * 0.4);
        insert.resource.run(t, id, run, running + duration / 2, 1, 40000 + worker, cpu, rss / 64e9 * 100, 0, duration * cpu / 200, duration * 0.01, rss * 1.5, rss, 1e6 * rand(), 1e5 * rand(), 'running', `node${host + 1}`);
        if (!ok) cost += duration;
        clock = returned;
      }
      finalState[id] = failsForGood ? 'failed' : 'exec_done';
      returnedAt[id] = clock;
      if (failsForGood) failed++; else completed++;
      end = Math.max(end, clock);
      insert.task.run(id, run, parents.join(',') || null, app, 'False', `h${id.toString(16)}`, null, null, null, `runinfo/000/task_logs/${id}.out`, `runinfo/000/task_logs/${id}.err`, invoked, clock, tries - 1, cost, finalState[id], 'htex');
    }
    for (let h = 0; h < HOSTS; h++) {
      insert.block.run(run, 'htex', String(h), `${1000 + h}`, end + 2, 'COMPLETED', null);
      db.prepare('UPDATE node SET last_heartbeat = ? WHERE run_id = ? AND uid = ?').run(end + 1, run, `manager-${h}`);
    }
    insert.workflow.run(run, 'bench-1m', '1.0', T0, end + 3, 'bench-host', 'bench', '/tmp/runinfo/000', failed, completed, end + 3, taskCount);
  })();
  for (const sql of statements.filter((s) => !s.startsWith('CREATE TABLE'))) db.exec(sql);
  db.exec('ANALYZE');
  db.pragma('journal_mode = WAL');
  db.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tasks = Number(process.argv[3] ?? 1_000_000);
  const path = process.argv[2] ?? benchDatabasePath(tasks);
  if (process.argv[2]) {
    rmSync(path, { force: true });
    generate(path, tasks);
  } else ensureBenchDatabase(tasks, console.log);
  console.log(path);
}
