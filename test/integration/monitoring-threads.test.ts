import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { app, joinApp, load, ThreadPoolExecutor } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { checkRecorded, runWorkflow, type Query } from './monitoring-workflow.js';

function sqliteQuery(path: string): { query: Query; close: () => void } {
  const db = new Database(path, { readonly: true });
  return {
    query: async (sql, params = []) => db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as Record<string, unknown>[],
    close: () => db.close(),
  };
}

test('a monitored workflow on threads records its run, tasks, tries with errors, statuses in order, a node and resource samples', async () => {
  const dir = tempDir();
  const dfk = await load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'), retries: 1,
    monitoring: { resourceMonitoringInterval: 0.2, workflowName: 'monitoring-test', workflowVersion: '1.0' },
  });
  let ids;
  try {
    ids = await runWorkflow(dfk, dir);
  } finally {
    await dfk.cleanup();
  }
  const db = sqliteQuery(join(dir, 'runinfo', 'monitoring.db'));
  try {
    await checkRecorded(db.query, dfk.runId, ids, 'threads');
    const [workflow] = await db.query('SELECT * FROM workflow');
    assert.equal(workflow!['workflow_name'], 'monitoring-test');
    assert.equal(workflow!['workflow_version'], '1.0');
    assert.equal(workflow!['rundir'], dfk.runDir);
  } finally {
    db.close();
  }
});

const noop = app(function noop(i: number) { return i; });

test('status times of a task strictly increase in the order of its states, and no try is launched after it runs (ties within a millisecond are ordered)', async () => {
  const dir = tempDir();
  const dfk = await load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'),
    monitoring: { resourceMonitoringEnabled: false },
  });
  try {
    // Many no-ops: launched, running and exec_done of one task often fall in the same millisecond.
    await Promise.all(Array.from({ length: 300 }, (_, i) => noop(i)));
  } finally {
    await dfk.cleanup();
  }
  const db = sqliteQuery(join(dir, 'runinfo', 'monitoring.db'));
  try {
    const rows = await db.query('SELECT task_id, task_status_name, timestamp FROM status WHERE run_id = $1 ORDER BY task_id, timestamp', [dfk.runId]);
    const byTask = new Map<number, { state: string; at: number }[]>();
    for (const row of rows) {
      const id = Number(row['task_id']);
      if (!byTask.has(id)) byTask.set(id, []);
      byTask.get(id)!.push({ state: String(row['task_status_name']), at: Number(row['timestamp']) });
    }
    assert.equal(byTask.size, 300);
    for (const [id, states] of byTask) {
      assert.deepEqual(states.map((s) => s.state), ['launched', 'running', 'exec_done'], `task ${id}: ${JSON.stringify(states)}`);
      for (let i = 1; i < states.length; i++) assert.ok(states[i]!.at > states[i - 1]!.at, `task ${id}: no two states at the same time: ${JSON.stringify(states)}`);
    }
    const tries = await db.query('SELECT task_id, task_try_time_launched AS l, task_try_time_running AS r FROM try WHERE run_id = $1', [dfk.runId]);
    for (const t of tries) assert.ok(Number(t['l']) <= Number(t['r']), `try of task ${t['task_id']} launched ${t['l']} after it ran ${t['r']}`);
  } finally {
    db.close();
  }
});

/** Runs until `marker` exists, so that the test decides when it ends. */
const runUntil = app(function runUntil(marker: string) {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(marker)) Atomics.wait(pause, 0, 0, 20);
  return 'done';
});

test('a thread task is recorded as running while it runs (task.task_status_name), not only once it returned', async () => {
  const dir = tempDir();
  const marker = join(dir, 'finish');
  const dfk = await load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 1 })], runDir: join(dir, 'runinfo'),
    monitoring: { resourceMonitoringEnabled: false },
  });
  let seen: string | undefined;
  try {
    const future = runUntil(marker);
    const path = join(dir, 'runinfo', 'monitoring.db');
    // Generous: only detects a state that never comes.
    const until = Date.now() + 15_000;
    while (Date.now() < until && seen !== 'running') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (!existsSync(path)) continue;
      const db = sqliteQuery(path);
      try {
        const [row] = await db.query('SELECT task_status_name FROM task WHERE run_id = $1', [dfk.runId]);
        seen = row?.['task_status_name'] as string | undefined;
      } catch { /* the tables are not created yet */ } finally {
        db.close();
      }
    }
    writeFileSync(marker, '');
    assert.equal(await future, 'done');
  } finally {
    writeFileSync(marker, '');
    await dfk.cleanup();
  }
  assert.equal(seen, 'running', 'the task row said running while the task ran');
});

test('a join app\'s try is recorded on _parsl_internal with the tasks it joined in task_joins, failed joins with their error', async () => {
  const dir = tempDir();
  const dfk = await load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'),
    monitoring: { resourceMonitoringEnabled: false },
  });
  const double = app(function double(x: number) { return 2 * x; });
  const boom = app(function boom(): number { throw new RangeError('no'); });
  const both = joinApp(function both(x: number) { return [double(x), double(x + 1)]; });
  const chained = joinApp(async function chained(x: number) { return double(await double(x)); });
  const broken = joinApp(function broken() { return boom(); });
  let ids: { both: number; chained: number; broken: number };
  try {
    const [a, b, c] = [both(1), chained(3), broken()];
    assert.deepEqual(await a, [2, 4]);
    assert.equal(await b, 12);
    await assert.rejects(c, /JoinError|no/);
    ids = { both: a.taskId!, chained: b.taskId!, broken: c.taskId! };
  } finally {
    await dfk.cleanup();
  }
  const db = sqliteQuery(join(dir, 'runinfo', 'monitoring.db'));
  try {
    const tryOf = async (taskId: number) => (await db.query('SELECT * FROM try WHERE run_id = $1 AND task_id = $2', [dfk.runId, taskId]));
    const [both2] = await tryOf(ids.both);
    assert.equal(both2!['task_executor'], '_parsl_internal');
    assert.equal(both2!['task_try_status'], 'exec_done');
    const joined = String(both2!['task_joins']).split(',').map(Number);
    assert.equal(joined.length, 2);
    const joinedApps = await db.query(`SELECT task_func_name FROM task WHERE run_id = $1 AND task_id IN (${joined.join(',')})`, [dfk.runId]);
    assert.deepEqual(joinedApps.map((row) => row['task_func_name']), ['double', 'double']);
    assert.ok(Number(both2!['task_try_time_returned']) >= Number(both2!['task_try_time_launched']));
    // An async join function: the task of the future it returned (the awaited one ran inside it).
    const [chained2] = await tryOf(ids.chained);
    assert.equal(String(chained2!['task_joins']).split(',').length, 1);
    const [broken2] = await tryOf(ids.broken);
    assert.equal(broken2!['task_try_status'], 'failed');
    assert.match(String(broken2!['task_fail_history']), /^JoinError: .*RangeError/);
    const statuses = await db.query('SELECT task_status_name FROM status WHERE run_id = $1 AND task_id = $2 ORDER BY timestamp', [dfk.runId, ids.both]);
    assert.deepEqual(statuses.map((row) => row['task_status_name']), ['joining', 'exec_done']);
  } finally {
    db.close();
  }
});

test('Parsl\'s row counts for one task on threads with resourceMonitoringInterval 0: one run, task and try, a running time, no resource rows', async () => {
  const dir = tempDir();
  const sleepy = app(async function sleepy() { await new Promise((resolve) => setTimeout(resolve, 1500)); return 5; });
  {
    await using dfk = await load({ executors: [new ThreadPoolExecutor()], runDir: dir, monitoring: { dbUrl: `sqlite:///${dir}/monitoring.db`, resourceMonitoringInterval: 0 } });
    assert.equal(await sleepy(), 5);
    void dfk;
  }
  const db = sqliteQuery(join(dir, 'monitoring.db'));
  try {
    const count = async (sql: string) => Number(Object.values((await db.query(sql))[0]!)[0]);
    assert.equal(await count('SELECT COUNT(*) FROM workflow'), 1);
    assert.equal(await count('SELECT COUNT(*) FROM task'), 1);
    assert.equal(await count('SELECT COUNT(*) FROM try'), 1);
    assert.equal(await count("SELECT COUNT(*) FROM status, try WHERE status.task_id = try.task_id AND status.task_status_name = 'exec_done' AND task_try_time_running IS NULL"), 0);
    assert.equal(await count('SELECT COUNT(*) FROM resource'), 0);
  } finally {
    db.close();
  }
});
