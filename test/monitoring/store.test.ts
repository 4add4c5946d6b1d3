import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventBuffer, EventKind, STATE_CODES } from '../../src/monitoring/event-stream.js';
import { sqlitePath } from '../../src/monitoring/open-store.js';
import { sampleProcess } from '../../src/monitoring/resource-sampler.js';
import { RowBuilder } from '../../src/monitoring/row-builder.js';
import { createSchemaStatements, TABLE_NAMES } from '../../src/monitoring/schema.js';
import { SqliteStore } from '../../src/monitoring/sqlite-store.js';
import { wireColumns } from '../../src/monitoring/store.js';
import { tempDir } from '../helpers.js';

const info = { runId: 'run-1', workflowName: 'w', workflowVersion: null, startedAt: 1_000_000, host: 'h', user: 'u', runDir: '/r', resourceInterval: 1 };

test("the schema has Parsl's tables and columns, and creating it again changes nothing", () => {
  const db = new Database(':memory:');
  for (let i = 0; i < 2; i++) for (const statement of createSchemaStatements('sqlite')) db.exec(statement);
  const columns = (table: string) => (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((c) => c.name);
  for (const table of ['workflow', 'task', 'try', 'status', 'block', 'node', 'resource']) assert.ok(TABLE_NAMES.includes(table as never));
  for (const [table, parsl] of Object.entries({
    workflow: ['run_id', 'workflow_name', 'workflow_version', 'time_began', 'time_completed', 'host', 'user', 'rundir', 'tasks_failed_count', 'tasks_completed_count'],
    task: ['task_id', 'run_id', 'task_depends', 'task_func_name', 'task_memoize', 'task_hashsum', 'task_inputs', 'task_outputs', 'task_stdin', 'task_stdout', 'task_stderr', 'task_time_invoked', 'task_time_returned', 'task_fail_count', 'task_fail_cost'],
    try: ['try_id', 'task_id', 'run_id', 'block_id', 'hostname', 'task_executor', 'task_try_time_launched', 'task_try_time_running', 'task_try_time_returned', 'task_fail_history', 'task_joins'],
    status: ['task_id', 'task_status_name', 'timestamp', 'run_id', 'try_id'],
    block: ['run_id', 'executor_label', 'block_id', 'job_id', 'timestamp', 'status'],
    node: ['id', 'run_id', 'hostname', 'uid', 'block_id', 'cpu_count', 'total_memory', 'active', 'worker_count', 'python_v', 'timestamp', 'last_heartbeat'],
    resource: ['try_id', 'task_id', 'run_id', 'timestamp', 'resource_monitoring_interval', 'psutil_process_pid', 'psutil_process_cpu_percent', 'psutil_process_memory_percent', 'psutil_process_children_count', 'psutil_process_time_user', 'psutil_process_time_system', 'psutil_process_memory_virtual', 'psutil_process_memory_resident', 'psutil_process_disk_read', 'psutil_process_disk_write', 'psutil_process_status'],
  })) {
    const have = columns(table);
    for (const column of parsl) assert.ok(have.includes(column), `${table}.${column}`);
  }
  db.close();
});

test('events become rows; a task that changes in a later batch is updated in place, its statuses appended', async () => {
  const path = join(tempDir(), 'm.db');
  const store = new SqliteStore(path);
  const builder = new RowBuilder(info);
  const events = new EventBuffer();
  events.push(EventKind.Submitted, 7, 0, 2_000_000, events.stringId('work'));
  events.push(EventKind.Launched, 7, 0, 2_000_001, events.stringId('threads'));
  events.push(EventKind.State, 7, 0, 2_000_001, STATE_CODES['launched']!);
  builder.apply(events.take()!);
  await store.write(builder.take());
  events.push(EventKind.Returned, 7, 0, 2_000_500, events.sideIndex({ kind: 'error', text: 'ValueError: no' }));
  events.push(EventKind.State, 7, 0, 2_000_500, STATE_CODES['failed']!);
  builder.apply(events.take()!);
  await store.write(builder.take(2_001_000));
  await store.close();
  const db = new Database(path, { readonly: true });
  assert.deepEqual(db.prepare('SELECT task_id, task_func_name, task_status_name, task_time_returned FROM task').all(),
    [{ task_id: 7, task_func_name: 'work', task_status_name: 'failed', task_time_returned: 2000.5 }]);
  assert.deepEqual(db.prepare('SELECT task_executor, task_fail_history, task_try_time_launched FROM try').all(),
    [{ task_executor: 'threads', task_fail_history: 'ValueError: no', task_try_time_launched: 2000.001 }]);
  assert.deepEqual(db.prepare('SELECT task_status_name FROM status ORDER BY timestamp').all().map((r) => (r as { task_status_name: string }).task_status_name), ['launched', 'failed']);
  assert.deepEqual(db.prepare('SELECT run_id, tasks_failed_count, time_completed FROM workflow').all(), [{ run_id: 'run-1', tasks_failed_count: 1, time_completed: 2001 }]);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test("sqlite URLs: SQLAlchemy's sqlite:///relative and sqlite:////absolute, or a plain path", () => {
  assert.equal(sqlitePath('sqlite:////data/m.db'), '/data/m.db');
  assert.equal(sqlitePath('sqlite:///runinfo/m.db'), join(process.cwd(), 'runinfo/m.db'));
  assert.equal(sqlitePath('/tmp/x.db'), '/tmp/x.db');
});

test('a resource sample sums a process and its children', async () => {
  const child = spawn('sh', ['-c', 'sleep 5'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const alone = sampleProcess(process.pid, false);
    const withChildren = sampleProcess(process.pid, true);
    assert.ok(alone.rss > 10_000_000 && alone.cpuUser > 0, JSON.stringify(alone));
    assert.ok(withChildren.children >= 1 && withChildren.rss > alone.rss, JSON.stringify(withChildren));
  } finally {
    child.kill('SIGKILL');
  }
});

test("a try's running time lies between its launch and its return whatever the worker's clock says, and counts once", async () => {
  const path = join(tempDir(), 'm.db');
  const store = new SqliteStore(path);
  const builder = new RowBuilder(info);
  const events = new EventBuffer();
  for (const taskId of [1, 2]) {
    events.push(EventKind.Submitted, taskId, 0, 2_000_000, events.stringId('work'));
    events.push(EventKind.Launched, taskId, 0, 2_000_010, events.stringId('htex'));
    events.push(EventKind.State, taskId, 0, 2_000_010, STATE_CODES['launched']!);
  }
  events.push(EventKind.Running, 1, 0, 1_999_990, -1); // a worker whose clock is behind
  events.push(EventKind.Running, 1, 0, 2_000_030, -1); // reported again: ignored
  events.push(EventKind.Returned, 2, 0, 2_000_050, -1);
  events.push(EventKind.State, 2, 0, 2_000_050, STATE_CODES['exec_done']!);
  events.push(EventKind.Running, 2, 0, 2_000_090, -1); // heard of after its result, clock ahead
  builder.apply(events.take()!);
  await store.write(builder.take(2_001_000));
  await store.close();
  const db = new Database(path, { readonly: true });
  const tries = db.prepare('SELECT task_id, task_try_time_launched AS l, task_try_time_running AS r, task_try_status AS s FROM try ORDER BY task_id').all();
  assert.deepEqual(tries, [{ task_id: 1, l: 2000.01, r: 2000.01 + 1e-6, s: 'running' }, { task_id: 2, l: 2000.01, r: 2000.05 - 1e-6, s: 'exec_done' }]);
  const history = (id: number) => db.prepare('SELECT task_status_name AS s FROM status WHERE task_id = ? ORDER BY timestamp').all(id).map((r) => (r as { s: string }).s);
  assert.deepEqual(history(1), ['launched', 'running']);
  assert.deepEqual(history(2), ['launched', 'running', 'exec_done']);
  assert.deepEqual(db.prepare('SELECT task_status_name AS s FROM task ORDER BY task_id').all(), [{ s: 'running' }, { s: 'exec_done' }]);
  db.close();
});

test('while the database cannot take rows, the rows of finished tasks beyond the limit are dropped and counted; running tasks are kept', () => {
  const builder = new RowBuilder(info, { appendedRows: 1000, finishedTasks: 3 });
  const events = new EventBuffer();
  const executor = events.stringId('threads');
  const app = events.stringId('work');
  for (let id = 0; id < 6; id++) {
    events.push(EventKind.Submitted, id, 0, 2_000_000 + id, app);
    events.push(EventKind.Launched, id, 0, 2_000_000 + id, executor);
    // Tasks 0-4 finish; task 5 still runs.
    if (id < 5) events.push(EventKind.State, id, 0, 2_000_100 + id, STATE_CODES['exec_done']!);
  }
  builder.apply(events.take()!);
  const first = builder.take();
  const taskIds = (rows: unknown[] | undefined, width: number) => Array.from({ length: (rows?.length ?? 0) / width }, (_, i) => rows![i * width]);
  const taskWidth = wireColumns('task').length; // task_id comes first
  assert.deepEqual(taskIds(first.rows.task, taskWidth), [0, 1, 2, 5]);
  assert.equal(first.rows.try!.length / wireColumns('try').length, 4, 'the tries of the kept tasks');
  assert.equal(builder.dropped, 4, 'two tasks and their two tries');
  // Once rows are taken (written), finished tasks are kept again; the running one finishes normally.
  events.push(EventKind.State, 5, 0, 2_000_200, STATE_CODES['exec_done']!);
  builder.apply(events.take()!);
  assert.deepEqual(taskIds(builder.take().rows.task, taskWidth), [5]);
});

test('an SQLite database of parsl-ts 0.1 (one node row per manager) is upgraded in place: its node rows kept, a manager now gets an active and an inactive row', async () => {
  const path = join(tempDir(), 'm.db');
  const old = new Database(path);
  old.exec(`CREATE TABLE "node" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "run_id" TEXT NOT NULL, "hostname" TEXT NOT NULL, "uid" TEXT NOT NULL,
    "block_id" TEXT NOT NULL, "cpu_count" INTEGER NOT NULL, "total_memory" DOUBLE PRECISION NOT NULL, "active" INTEGER NOT NULL,
    "worker_count" INTEGER NOT NULL, "python_v" TEXT NOT NULL, "timestamp" DOUBLE PRECISION NOT NULL, "last_heartbeat" DOUBLE PRECISION NOT NULL,
    "executor_label" TEXT, "time_registered" DOUBLE PRECISION, "manager_memory_resident" DOUBLE PRECISION, UNIQUE ("run_id", "uid"))`);
  old.exec(`CREATE INDEX "ix_node_run_id_block_id" ON "node" ("run_id", "block_id")`);
  old.exec(`INSERT INTO node (run_id, hostname, uid, block_id, cpu_count, total_memory, active, worker_count, python_v, "timestamp", last_heartbeat)
    VALUES ('old-run', 'h', 'm1', '0', 2, 1e9, 0, 2, 'v20', 1000, 1000)`);
  old.close();
  const store = new SqliteStore(path);
  const builder = new RowBuilder(info);
  const events = new EventBuffer();
  const report = { executorLabel: 'htex', uid: 'm1', hostname: 'h', blockId: '0', cpuCount: 2, totalMemory: 1e9, workerCount: 2, nodeVersion: 'v20', registeredAt: 2_000_000, lastHeartbeat: 2_000_000 };
  events.side({ kind: 'node', report: { ...report, active: true }, time: 2_000_000 });
  events.side({ kind: 'node', report: { ...report, active: true, lastHeartbeat: 2_001_000 }, time: 2_001_000 });
  events.side({ kind: 'node', report: { ...report, active: false, lastHeartbeat: 2_001_000 }, time: 2_002_000 });
  builder.apply(events.take()!);
  await store.write(builder.take());
  await store.close();
  const db = new Database(path, { readonly: true });
  assert.deepEqual(db.prepare('SELECT run_id, active, last_heartbeat FROM node ORDER BY id').all(), [
    { run_id: 'old-run', active: 0, last_heartbeat: 1000 },
    { run_id: 'run-1', active: 1, last_heartbeat: 2001 },
    { run_id: 'run-1', active: 0, last_heartbeat: 2001 },
  ]);
  const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'node' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((i) => i.name);
  assert.deepEqual(indexes, ['ix_node_run_id_block_id', 'ix_node_run_id_hostname', 'ux_node_key']);
  assert.deepEqual(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'node_parsl_ts%'").get(), { n: 0 }, 'the old table is gone');
  db.close();
});
