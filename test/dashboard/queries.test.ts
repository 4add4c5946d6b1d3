/** What the dashboard's pages are built from, checked against rows written with the real schema. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openDashboardDatabase, numberPlaceholders } from '../../src/dashboard/database.js';
import { dependencyGraph, GRAPH_TASK_LIMIT, resourcesOverTime, tasksOverTime, timeline, TIMELINE_LIMIT } from '../../src/dashboard/queries/charts.js';
import { blocks, failures, taskDetail } from '../../src/dashboard/queries/details.js';
import { appTable, DURATION_SAMPLE, listWorkflows, workflowSummary } from '../../src/dashboard/queries/workflows.js';
import { ConfigurationError } from '../../src/errors.js';
import { fixtureDb, T0 } from './fixture.js';

const RUN = 'run-1';

test('workflows are listed newest first, running while the recorder writes, stopped when it went silent', async () => {
  const fixture = fixtureDb();
  const now = T0 + 1000;
  fixture.insert('workflow', [
    { run_id: 'done', time_began: T0, time_completed: T0 + 10, tasks_completed_count: 5, tasks_failed_count: 1 },
    { run_id: 'live', time_began: T0 + 500, time_last_update: now - 2 },
    { run_id: 'dead', time_began: T0 + 100, time_last_update: T0 + 200 },
  ]);
  const db = await openDashboardDatabase(fixture.path);
  const list = await listWorkflows(db, now);
  assert.deepEqual(list.map((w) => [w.runId, w.state]), [['live', 'running'], ['dead', 'stopped'], ['done', 'completed']]);
  assert.deepEqual([list[2]!.completedCount, list[2]!.failedCount], [5, 1]);
  await db.close();
});

test('a missing database file is a ConfigurationError that says how to make one', async () => {
  await assert.rejects(openDashboardDatabase('/nonexistent/monitoring.db'), (error: unknown) =>
    error instanceof ConfigurationError && /no monitoring database at \/nonexistent\/monitoring\.db.*monitoring: \{\}/.test(error.message));
});

test('? placeholders are numbered for PostgreSQL, not inside quotes', () => {
  assert.equal(numberPlaceholders("SELECT ? , '?' FROM t WHERE a = ? AND b = ?"), "SELECT $1 , '?' FROM t WHERE a = $2 AND b = $3");
});

test('summary counts tasks by latest state, tries and retries; the app table has failures and mean/p95 run time', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: RUN });
  // Twenty "a" tasks running 1..20 s; a "b" task failed twice, a "c" task failed for its dependency.
  for (let i = 0; i < 20; i++) {
    fixture.insert('task', { run_id: RUN, task_id: i, task_func_name: 'a', task_status_name: 'exec_done' });
    fixture.insert('try', { run_id: RUN, task_id: i, task_try_time_running: T0 + i, task_try_time_returned: T0 + i + (i + 1), task_try_status: 'exec_done' });
  }
  fixture.insert('task', [{ run_id: RUN, task_id: 20, task_func_name: 'b', task_status_name: 'failed', task_fail_count: 2 },
    { run_id: RUN, task_id: 21, task_func_name: 'c', task_status_name: 'dep_fail', task_depends: '20' }]);
  fixture.insert('try', [0, 1].map((tryId) => ({ run_id: RUN, task_id: 20, try_id: tryId, task_try_time_running: T0, task_try_time_returned: T0 + 0.5, task_try_status: 'failed', task_fail_history: 'ValueError: no' })));
  const db = await openDashboardDatabase(fixture.path);
  const summary = (await workflowSummary(db, RUN))!;
  assert.deepEqual(summary.states, { exec_done: 20, failed: 1, dep_fail: 1 });
  assert.deepEqual([summary.tasks, summary.tries, summary.retries], [22, 22, 1]);
  assert.equal(await workflowSummary(db, 'nope'), undefined);

  const table = await appTable(db, RUN);
  assert.equal(table.sampled, false);
  const a = table.apps.find((s) => s.app === 'a')!;
  assert.deepEqual([a.tasks, a.done, a.failed, a.depFailed], [20, 20, 0, 0]);
  assert.equal(a.meanSeconds, 10.5);
  assert.equal(a.p95Seconds, 19);
  const b = table.apps.find((s) => s.app === 'b')!;
  assert.deepEqual([b.tasks, b.failed, b.meanSeconds], [1, 1, 0.5]);
  assert.deepEqual(table.apps.find((s) => s.app === 'c')!.depFailed, 1);
  await db.close();
});

test('beyond the sample size, run times come from evenly spaced slices of the run and are close to the exact ones', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: RUN });
  const n = DURATION_SAMPLE * 3;
  const tasks = [];
  const tries = [];
  for (let i = 0; i < n; i++) {
    tasks.push({ run_id: RUN, task_id: i, task_func_name: i % 2 ? 'odd' : 'even', task_status_name: 'exec_done' as const });
    tries.push({ run_id: RUN, task_id: i, task_try_time_running: T0, task_try_time_returned: T0 + (i % 100) / 10 });
  }
  fixture.insert('task', tasks);
  fixture.insert('try', tries);
  const db = await openDashboardDatabase(fixture.path);
  const table = await appTable(db, RUN);
  assert.equal(table.sampled, true);
  assert.ok(table.durationTries > DURATION_SAMPLE * 0.8 && table.durationTries < DURATION_SAMPLE * 1.2, `about ${DURATION_SAMPLE} tries read (${table.durationTries})`);
  const even = table.apps.find((s) => s.app === 'even')!;
  assert.equal(even.tasks, n / 2, 'counts stay exact');
  assert.ok(Math.abs(even.meanSeconds! - 4.9) < 0.1, `mean close to 4.9 s (${even.meanSeconds})`);
  await db.close();
});

test('the timeline draws at most TIMELINE_LIMIT tries, the latest of the window, one lane per host and worker', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: RUN, time_completed: T0 + 10_000 });
  const count = TIMELINE_LIMIT + 100;
  fixture.insert('task', Array.from({ length: count }, (_, i) => ({ run_id: RUN, task_id: i, task_func_name: 'f' })));
  fixture.insert('try', Array.from({ length: count }, (_, i) => ({ run_id: RUN, task_id: i, worker_id: String(i % 3), task_try_time_running: T0 + i, task_try_time_returned: T0 + i + 0.5, task_try_status: 'exec_done' })));
  const db = await openDashboardDatabase(fixture.path);
  const all = (await timeline(db, RUN))!;
  assert.equal(all.truncated, true);
  assert.equal(all.bars.length, TIMELINE_LIMIT);
  assert.equal(all.bars.at(-1)!.taskId, count - 1, 'the latest try is drawn');
  assert.deepEqual([...new Set(all.bars.map((b) => b.lane))].sort(), ['node1 · w0', 'node1 · w1', 'node1 · w2']);
  const window = (await timeline(db, RUN, T0 + 10, T0 + 19.9))!;
  assert.equal(window.truncated, false);
  assert.deepEqual(window.bars.map((b) => b.taskId), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  await db.close();
});

test('tasks over time counts submissions, starts and finishes per bucket', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: RUN, time_completed: T0 + 100 });
  fixture.insert('task', [0, 1, 2].map((i) => ({ run_id: RUN, task_id: i, task_time_invoked: T0, task_time_returned: T0 + 50 + i })));
  fixture.insert('try', [0, 1, 2].map((i) => ({ run_id: RUN, task_id: i, task_try_time_running: T0 + 10 * i })));
  const db = await openDashboardDatabase(fixture.path);
  const series = (await tasksOverTime(db, RUN))!;
  assert.ok(series.buckets.count <= 201, 'at most about 200 buckets');
  const at = (values: number[], second: number) => values[Math.floor((T0 + second - series.buckets.start) / series.buckets.width)];
  assert.equal(at(series.submitted, 0), 3);
  assert.deepEqual([at(series.started, 0), at(series.started, 10), at(series.started, 20)], [1, 1, 1]);
  assert.deepEqual([at(series.finished, 50), at(series.finished, 51), at(series.finished, 52)], [1, 1, 1]);
  assert.equal(series.finished.reduce((s, v) => s + v, 0), 3);
  await db.close();
});

test('resources sum CPU and memory of the tries running, per node and per app', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: RUN, time_completed: T0 + 100 });
  fixture.insert('task', [{ run_id: RUN, task_id: 0, task_func_name: 'sim' }, { run_id: RUN, task_id: 1, task_func_name: 'fit' }]);
  // Sampled every 2 s (buckets are 2 s too): both tasks on node1 at T0 + 10.
  fixture.insert('resource', [
    { run_id: RUN, task_id: 0, try_id: 0, timestamp: T0 + 10.5, resource_monitoring_interval: 2, psutil_process_cpu_percent: 90, psutil_process_memory_resident: 1e9 },
    { run_id: RUN, task_id: 1, try_id: 0, timestamp: T0 + 10.7, resource_monitoring_interval: 2, psutil_process_cpu_percent: 40, psutil_process_memory_resident: 2e8 },
  ]);
  const db = await openDashboardDatabase(fixture.path);
  const data = (await resourcesOverTime(db, RUN))!;
  assert.equal(data.buckets.width, 2);
  assert.equal(data.sampled, false);
  const bucket = Math.floor((T0 + 10.5 - data.buckets.start) / data.buckets.width);
  assert.deepEqual(data.hosts.map((h) => [h.name, h.cpu[bucket], h.rss[bucket]]), [['node1', 130, 1.2e9]]);
  assert.deepEqual(data.apps.map((a) => [a.name, a.cpu[bucket]]), [['fit', 40], ['sim', 90]]);
  await db.close();
});

test('the dependency graph has every task up to the limit, then one node per app with its states and edges between apps', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', [{ run_id: 'small' }, { run_id: 'large' }]);
  fixture.insert('task', [{ run_id: 'small', task_id: 0, task_status_name: 'failed' }, { run_id: 'small', task_id: 1, task_status_name: 'dep_fail' }]);
  fixture.insert('dependency', { run_id: 'small', task_id: 1, depends_on: 0 });
  const n = GRAPH_TASK_LIMIT + 10;
  fixture.insert('task', Array.from({ length: n }, (_, i) => ({ run_id: 'large', task_id: i, task_func_name: i % 2 ? 'leaf' : 'root', task_status_name: i === 3 ? 'failed' as const : 'exec_done' as const })));
  fixture.insert('dependency', Array.from({ length: n / 2 }, (_, i) => ({ run_id: 'large', task_id: 2 * i + 1, depends_on: 2 * i })));
  const db = await openDashboardDatabase(fixture.path);
  const small = await dependencyGraph(db, 'small');
  assert.deepEqual(small, { grouped: false, nodes: [{ id: 0, app: 'app', state: 'failed' }, { id: 1, app: 'app', state: 'dep_fail' }], edges: [{ from: 0, to: 1 }] });
  const large = await dependencyGraph(db, 'large');
  assert.ok(large.grouped);
  assert.deepEqual(large.nodes, [{ app: 'leaf', tasks: n / 2, states: { exec_done: n / 2 - 1, failed: 1 } }, { app: 'root', tasks: n / 2, states: { exec_done: n / 2 } }]);
  assert.deepEqual(large.edges, [{ from: 'root', to: 'leaf', dependencies: n / 2 }]);
  await db.close();
});

test('failures come a page at a time with every try and its error; blocks with their history, message, nodes and tries', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: RUN });
  fixture.insert('task', Array.from({ length: 30 }, (_, i) => ({ run_id: RUN, task_id: i, task_status_name: 'failed' as const, task_fail_count: 1 })));
  fixture.insert('try', Array.from({ length: 30 }, (_, i) => [0, 1].map((t) => ({ run_id: RUN, task_id: i, try_id: t, task_fail_history: `OSError: try ${t}` }))).flat());
  fixture.insert('block', [
    { run_id: RUN, block_id: '0', job_id: '17', timestamp: T0, status: 'PENDING' },
    { run_id: RUN, block_id: '0', job_id: '17', timestamp: T0 + 5, status: 'FAILED', scheduler_message: 'NodeFail\nstderr: srun: error' },
  ]);
  // A manager's row while active, then once gone: the blocks page shows it once, as it is now.
  fixture.insert('node', [{ run_id: RUN, active: 1, timestamp: T0 + 1 }, { run_id: RUN, active: 0, timestamp: T0 + 4 }]);
  const db = await openDashboardDatabase(fixture.path);
  const first = await failures(db, RUN, 'failed', 0);
  assert.equal(first.total, 30);
  assert.equal(first.rows.length, 25);
  assert.deepEqual(first.rows[0]!.tries.map((t) => t.error), ['OSError: try 0', 'OSError: try 1']);
  assert.deepEqual((await failures(db, RUN, 'failed', 1)).rows.map((r) => r.taskId), [25, 26, 27, 28, 29]);
  const [block] = await blocks(db, RUN);
  assert.deepEqual(block!.history.map((h) => h.status), ['PENDING', 'FAILED']);
  assert.deepEqual([block!.status, block!.jobId, block!.message, block!.tries, block!.nodes.length], ['FAILED', '17', 'NodeFail\nstderr: srun: error', 60, 1]);
  assert.equal(block!.nodes[0]!.active, false);
  await db.close();
});

test('a task page has its tries, state history, samples, relatives and the tail of its stdout and stderr', async () => {
  const fixture = fixtureDb();
  const runDir = join(dirname(fixture.path), 'runinfo', '000');
  const stdout = join(dirname(fixture.path), 'out', 'task.out');
  mkdirSync(dirname(stdout), { recursive: true });
  writeFileSync(stdout, 'x'.repeat(20_000) + 'the end\n');
  fixture.insert('workflow', { run_id: RUN, rundir: runDir });
  fixture.insert('task', [{ run_id: RUN, task_id: 0, task_status_name: 'exec_done' },
    { run_id: RUN, task_id: 1, task_status_name: 'exec_done', task_depends: '0', task_stdout: 'out/task.out', task_stderr: '/nowhere/err' }]);
  fixture.insert('dependency', { run_id: RUN, task_id: 1, depends_on: 0 });
  fixture.insert('try', { run_id: RUN, task_id: 1 });
  fixture.insert('status', ['pending', 'launched', 'running', 'exec_done'].map((state, i) => ({ run_id: RUN, task_id: 1, task_status_name: state as 'pending', timestamp: T0 + i })));
  fixture.insert('resource', { run_id: RUN, task_id: 1, try_id: 0, timestamp: T0 + 2, psutil_process_cpu_percent: 50 });
  const db = await openDashboardDatabase(fixture.path);
  const task = (await taskDetail(db, RUN, 1))!;
  assert.deepEqual(task.history.map((h) => h.state), ['pending', 'launched', 'running', 'exec_done']);
  assert.deepEqual(task.parents, [{ taskId: 0, app: 'app', state: 'exec_done' }]);
  assert.equal(task.tries.length, 1);
  assert.equal(task.resources[0]!.cpuPercent, 50);
  assert.ok(task.stdout!.tail!.endsWith('the end\n') && task.stdout!.truncated, 'the tail of a relative path, from the run dir\'s grandparent');
  assert.deepEqual(task.stderr, { path: '/nowhere/err', tail: null, truncated: false });
  assert.deepEqual((await taskDetail(db, RUN, 0))!.children.map((c) => c.taskId), [1]);
  assert.equal(await taskDetail(db, RUN, 99), undefined);
  assert.deepEqual(task.tries[0]!.joins, []);
  fixture.insert('task', { run_id: RUN, task_id: 2, task_status_name: 'exec_done', task_executor: '_parsl_internal' });
  fixture.insert('try', { run_id: RUN, task_id: 2, task_executor: '_parsl_internal', task_joins: '0,1' });
  assert.deepEqual((await taskDetail(db, RUN, 2))!.tries[0]!.joins, [0, 1], 'a join app\'s try lists the tasks it joined');
  await db.close();
});
