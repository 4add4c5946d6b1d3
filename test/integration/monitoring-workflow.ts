/**
 * The small workflow the monitoring tests record, on any executor: successes, a task that
 * fails once then succeeds on retry, one that always fails, one that fails for its
 * dependency, and one that runs ~1 s (resource samples). Plus what its rows must say.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, type DataFlowKernel } from '../../src/index.js';

export const double = app(function double(x: number) { return 2 * x; });

/** Fails the first time it runs (it leaves a marker file), succeeds the second. */
export const flaky = app(function flaky(marker: string) {
  if (!existsSync(marker)) {
    writeFileSync(marker, 'failed once');
    throw new RangeError('first try fails');
  }
  return 'second try';
});

export const broken = app(function broken() { throw new TypeError('always broken'); });

export const sum = app(function sum(values: number[]) { return values.reduce((a, b) => a + b, 0); });

/** Busy for about `ms` (CPU), so resource samples see it running and using CPU. */
export const busy = app(function busy(ms: number) {
  const until = Date.now() + ms;
  let spins = 0;
  while (Date.now() < until) spins++;
  return spins > 0;
});

export interface WorkflowIds {
  doubles: number[];
  flaky: number;
  broken: number;
  depFail: number;
  sum: number;
  busy: number;
  taskCount: number;
}

/** Runs the workflow (retries: 1 expected in the config) and waits for every task. */
export async function runWorkflow(dfk: DataFlowKernel, dir: string): Promise<WorkflowIds> {
  const doubles = [1, 2, 3].map((x) => double(x));
  const flakyFuture = flaky(join(dir, 'flaky-marker'));
  const brokenFuture = broken();
  const depFail = double(brokenFuture as unknown as Promise<number>);
  const total = sum(doubles);
  const busyFuture = busy(1000);
  await dfk.waitForCurrentTasks();
  assert.equal(await total, 12);
  assert.equal(await flakyFuture, 'second try');
  await assert.rejects(brokenFuture, /always broken/);
  await assert.rejects(depFail);
  assert.equal(await busyFuture, true);
  return {
    doubles: doubles.map((f) => f.taskId), flaky: flakyFuture.taskId, broken: brokenFuture.taskId,
    depFail: depFail.taskId, sum: total.taskId, busy: busyFuture.taskId, taskCount: 8,
  };
}

/** Runs a query on the monitoring database (SQLite or PostgreSQL) and returns plain rows. */
export type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Checks every table's rows for one run of the workflow. */
export async function checkRecorded(query: Query, runId: string, ids: WorkflowIds, executor: string): Promise<void> {
  const [workflow] = await query('SELECT * FROM workflow WHERE run_id = $1', [runId]);
  assert.ok(workflow, 'a workflow row');
  assert.ok(workflow['time_completed'] !== null && Number(workflow['time_completed']) >= Number(workflow['time_began']));
  assert.equal(Number(workflow['tasks_completed_count']), 6); // 3 doubles, flaky, sum, busy
  assert.equal(Number(workflow['tasks_failed_count']), 2); // broken, its dependant

  const tasks = await query('SELECT * FROM task WHERE run_id = $1 ORDER BY task_id', [runId]);
  assert.equal(tasks.length, ids.taskCount);
  const task = (id: number) => tasks.find((t) => Number(t['task_id']) === id)!;
  assert.equal(task(ids.flaky)['task_func_name'], 'flaky');
  assert.equal(task(ids.flaky)['task_status_name'], 'exec_done');
  assert.equal(Number(task(ids.flaky)['task_fail_count']), 1);
  assert.equal(task(ids.broken)['task_status_name'], 'failed');
  assert.equal(Number(task(ids.broken)['task_fail_count']), 2);
  assert.equal(Number(task(ids.broken)['task_fail_cost']), 2);
  assert.equal(task(ids.depFail)['task_status_name'], 'dep_fail');
  assert.equal(task(ids.depFail)['task_depends'], String(ids.broken));
  assert.equal(task(ids.sum)['task_depends'], ids.doubles.join(','));
  for (const t of tasks) assert.ok(t['task_time_returned'] !== null, `task ${t['task_id']} has its return time`);

  const edges = await query('SELECT task_id, depends_on FROM dependency WHERE run_id = $1 ORDER BY task_id, depends_on', [runId]);
  assert.deepEqual(edges.map((e) => [Number(e['task_id']), Number(e['depends_on'])]),
    [...ids.doubles.map((d) => [ids.sum, d]), [ids.depFail, ids.broken]].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));

  const tries = await query('SELECT * FROM try WHERE run_id = $1 ORDER BY task_id, try_id', [runId]);
  const triesOf = (id: number) => tries.filter((t) => Number(t['task_id']) === id);
  assert.equal(tries.length, 6 + 2 + 2 - 1, 'one try per launched task, two for flaky and broken (none for the dep_fail)');
  assert.deepEqual(triesOf(ids.flaky).map((t) => t['task_fail_history']), ['RangeError: first try fails', null]);
  assert.deepEqual(triesOf(ids.broken).map((t) => t['task_fail_history']), ['TypeError: always broken', 'TypeError: always broken']);
  // A failed try that is retried is fail_retryable, as in Parsl; only the last one is failed.
  assert.deepEqual(triesOf(ids.flaky).map((t) => t['task_try_status']), ['fail_retryable', 'exec_done']);
  assert.deepEqual(triesOf(ids.broken).map((t) => t['task_try_status']), ['fail_retryable', 'failed']);
  for (const t of tries) {
    assert.equal(t['task_executor'], executor);
    const launched = Number(t['task_try_time_launched']), running = Number(t['task_try_time_running']), returned = Number(t['task_try_time_returned']);
    assert.ok(t['task_try_time_running'] !== null, `try ${t['task_id']}.${t['try_id']} has a running time`);
    assert.ok(launched <= running + 0.01 && running <= returned + 0.01, `try ${t['task_id']}.${t['try_id']}: launched ${launched} ≤ running ${running} ≤ returned ${returned}`);
    assert.ok(t['hostname'], 'the try says on which host it ran');
  }

  const statuses = await query('SELECT task_status_name FROM status WHERE run_id = $1 AND task_id = $2 ORDER BY timestamp, try_id', [runId, ids.flaky]);
  assert.deepEqual(statuses.map((s) => s['task_status_name']),
    ['launched', 'running', 'fail_retryable', 'launched', 'running', 'exec_done']);
  const depStatuses = await query('SELECT task_status_name FROM status WHERE run_id = $1 AND task_id = $2 ORDER BY timestamp', [runId, ids.depFail]);
  assert.deepEqual(depStatuses.map((s) => s['task_status_name']), ['pending', 'dep_fail']);

  const nodes = await query('SELECT * FROM node WHERE run_id = $1 ORDER BY uid, "timestamp"', [runId]);
  assert.ok(nodes.length >= 2, 'node rows');
  for (const node of nodes) {
    assert.ok(Number(node['cpu_count']) >= 1 && Number(node['total_memory']) > 0 && Number(node['worker_count']) >= 1);
    assert.ok(Number(node['last_heartbeat']) > 0);
  }
  // As Parsl logs them: each manager (uid) has a row while active, then one once gone.
  const states = new Map<string, number[]>();
  for (const node of nodes) states.set(String(node['uid']), [...states.get(String(node['uid'])) ?? [], Number(node['active'])]);
  for (const [uid, active] of states) assert.deepEqual(active, [1, 0], `node ${uid}`);

  const samples = await query('SELECT * FROM resource WHERE run_id = $1 AND task_id = $2 ORDER BY timestamp', [runId, ids.busy]);
  assert.ok(samples.length >= 2, `resource samples of the 1 s task every 0.2 s (got ${samples.length})`);
  for (const sample of samples) {
    assert.ok(Number(sample['psutil_process_memory_resident']) > 0);
    assert.ok(Number(sample['psutil_process_time_user']) > 0);
    const memoryPercent = Number(sample['psutil_process_memory_percent']);
    assert.ok(memoryPercent > 0 && memoryPercent < 100, `memory percent ${memoryPercent}`);
    // The busy task computes in a loop: its worker is running (or, between two slices, runnable).
    assert.ok(['running', 'sleeping'].includes(String(sample['psutil_process_status'])), `status ${sample['psutil_process_status']}`);
    assert.equal(Number(sample['try_id']), 0);
  }
}
