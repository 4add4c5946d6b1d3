/** A monitoring database written row by row with the real schema, for the dashboard's tests. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { columnNames, createSchemaStatements, quoteIdent, type TableName, type TableRows } from '../../src/monitoring/schema.js';
import { tempDir } from '../helpers.js';

export const T0 = 1_767_225_600;

const DEFAULTS: { [T in TableName]: Partial<TableRows[T]> } = {
  workflow: { workflow_name: 'wf', workflow_version: null, time_began: T0, time_completed: null, host: 'host', user: 'me', rundir: '/tmp/runinfo/000', tasks_failed_count: 0, tasks_completed_count: 0, time_last_update: null, tasks_submitted_count: null },
  task: { task_depends: null, task_func_name: 'app', task_memoize: 'False', task_hashsum: null, task_inputs: null, task_outputs: null, task_stdin: null, task_stdout: null, task_stderr: null, task_time_invoked: T0, task_time_returned: null, task_fail_count: 0, task_fail_cost: 0, task_status_name: 'pending', task_executor: 'htex' },
  try: { try_id: 0, block_id: '0', hostname: 'node1', task_executor: 'htex', task_try_time_launched: null, task_try_time_running: null, task_try_time_returned: null, task_fail_history: null, task_joins: null, manager_id: 'm1', worker_id: '0', task_try_status: null },
  status: { try_id: 0 },
  block: { executor_label: 'htex', job_id: null, scheduler_message: null },
  node: { hostname: 'node1', uid: 'm1', block_id: '0', cpu_count: 2, total_memory: 8e9, active: 1, worker_count: 2, python_v: 'v20', timestamp: T0, last_heartbeat: T0, executor_label: 'htex', time_registered: T0, manager_memory_resident: null },
  resource: { resource_monitoring_interval: 1, psutil_process_pid: 1, psutil_process_cpu_percent: null, psutil_process_memory_percent: null, psutil_process_children_count: 0, psutil_process_time_user: null, psutil_process_time_system: null, psutil_process_memory_virtual: null, psutil_process_memory_resident: null, psutil_process_disk_read: null, psutil_process_disk_write: null, psutil_process_status: null, hostname: 'node1' },
  dependency: {},
};

export interface FixtureDb {
  path: string;
  /** Writes rows (defaults fill the columns not given). */
  insert<T extends TableName>(table: T, rows: Partial<TableRows[T]> | Partial<TableRows[T]>[]): void;
  /** The writing connection, for updates. */
  db: Database.Database;
  close(): void;
}

export function fixtureDb(): FixtureDb {
  const path = join(tempDir('parsl-ts-dashboard-'), 'monitoring.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const sql of createSchemaStatements('sqlite')) db.exec(sql);
  const statements = new Map<TableName, Database.Statement<unknown[]>>();
  const statementFor = (table: TableName) => {
    let statement = statements.get(table);
    if (statement === undefined) {
      const columns = columnNames(table);
      statement = db.prepare<unknown[]>(`INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      statements.set(table, statement);
    }
    return statement;
  };
  return {
    path,
    db,
    insert(table, rows) {
      const statement = statementFor(table);
      const columns = columnNames(table);
      db.transaction(() => {
        for (const row of Array.isArray(rows) ? rows : [rows]) {
          const full = { ...DEFAULTS[table], ...row } as Record<string, unknown>;
          statement.run(...columns.map((column) => full[column] ?? null));
        }
      })();
    },
    close: () => db.close(),
  };
}
