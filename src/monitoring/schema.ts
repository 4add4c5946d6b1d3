/**
 * The monitoring database: Parsl's tables and column names (`workflow`, `task`, `try`,
 * `status`, `block`, `node`, `resource`) so Parsl users' queries carry over, plus the
 * columns parsl-ts adds and one extra table (`dependency`). One column list per table
 * drives both the DDL (SQLite and PostgreSQL) and the recorder's INSERTs.
 *
 * Conventions (the same on both databases, so one SQL text works on either):
 * - Every time is a number: seconds since the Unix epoch, with milliseconds as the
 *   fraction (`DOUBLE PRECISION`). Durations are plain subtraction; in SQLite
 *   `datetime(t, 'unixepoch')` prints one, in PostgreSQL `to_timestamp(t)`.
 * - Booleans are INTEGER 0/1; byte counts are DOUBLE PRECISION (PostgreSQL's `pg` would
 *   return a BIGINT as a string).
 * - `run_id` (a UUID per `load()`) is in every table; one SQLite file holds every run of
 *   its run dir.
 */

export type Dialect = 'sqlite' | 'postgresql';

/** Parsl's task states, as written to `status.task_status_name` and `task.task_status_name`. */
export type TaskStatusName =
  | 'unsched' | 'pending' | 'launched' | 'running' | 'running_ended' | 'exec_done' | 'failed'
  | 'dep_fail' | 'memo_done' | 'joining' | 'fail_retryable' | 'cancelled';

/** States after which a task never changes again. */
export const FINAL_TASK_STATES: readonly TaskStatusName[] = [
  'exec_done', 'failed', 'dep_fail', 'memo_done', 'cancelled',
];

type ColumnType = 'text' | 'integer' | 'time' | 'real';

interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly notNull?: boolean;
}

interface TableSpec {
  readonly doc: string;
  readonly columns: readonly ColumnSpec[];
  /** Columns of the primary key (or of a UNIQUE key used by upserts). */
  readonly key?: readonly string[];
  /** `CREATE INDEX` column lists; the name is derived. */
  readonly indexes: readonly (readonly string[])[];
  /** Table has an auto-numbered `id` column first (Parsl's `node.id`). */
  readonly autoId?: boolean;
}

const text = (name: string, notNull = false): ColumnSpec => ({ name, type: 'text', notNull });
const int = (name: string, notNull = false): ColumnSpec => ({ name, type: 'integer', notNull });
const time = (name: string, notNull = false): ColumnSpec => ({ name, type: 'time', notNull });
const real = (name: string, notNull = false): ColumnSpec => ({ name, type: 'real', notNull });

/** Every table, in creation order. */
export const TABLES = {
  workflow: {
    doc: 'One row per run (`load()` … `cleanup()`). time_completed is NULL while it runs; '
      + 'time_last_update moves every few seconds while the recorder is alive, so a NULL '
      + 'time_completed with an old time_last_update is a run that died.',
    columns: [
      text('run_id', true), text('workflow_name'), text('workflow_version'),
      time('time_began', true), time('time_completed'), text('host', true), text('user', true),
      text('rundir', true), int('tasks_failed_count', true), int('tasks_completed_count', true),
      // parsl-ts additions:
      time('time_last_update'), int('tasks_submitted_count'),
    ],
    key: ['run_id'],
    indexes: [['time_began']],
  },
  task: {
    doc: 'One row per task, written at submission and updated as it changes. task_depends '
      + 'lists the ids of the tasks it waited on ("3,7"; also in `dependency`); task_hashsum '
      + 'is its app-cache key; task_fail_cost the retry cost spent so far; task_status_name '
      + 'its latest state (a parsl-ts addition, so counts by state need no scan of `status`).',
    columns: [
      int('task_id', true), text('run_id', true), text('task_depends'),
      text('task_func_name', true), text('task_memoize', true), text('task_hashsum'),
      text('task_inputs'), text('task_outputs'), text('task_stdin'), text('task_stdout'),
      text('task_stderr'), time('task_time_invoked'), time('task_time_returned'),
      int('task_fail_count', true), real('task_fail_cost', true),
      // parsl-ts additions:
      text('task_status_name'), text('task_executor'),
    ],
    key: ['run_id', 'task_id'],
    indexes: [
      // app and state together: per-app counts by state read the index alone (dashboard)
      ['run_id', 'task_func_name', 'task_status_name'], ['run_id', 'task_status_name'],
      ['run_id', 'task_time_invoked'], ['run_id', 'task_time_returned'], ['task_hashsum'],
    ],
  },
  try: {
    doc: 'One row per attempt to run a task (try_id 0, 1, … as retries happen): where it ran '
      + '(executor, block, host, manager, worker), when it was launched, started running and '
      + 'returned, and, for a failed try, its error ("ClassName: message") in '
      + 'task_fail_history.',
    columns: [
      int('try_id', true), int('task_id', true), text('run_id', true), text('block_id'),
      text('hostname'), text('task_executor', true), time('task_try_time_launched'),
      time('task_try_time_running'), time('task_try_time_returned'), text('task_fail_history'),
      text('task_joins'),
      // parsl-ts additions:
      text('manager_id'), text('worker_id'), text('task_try_status'),
    ],
    key: ['run_id', 'task_id', 'try_id'],
    indexes: [
      // with task_executor: tries per block (dashboard) read the index alone
      ['run_id', 'task_try_time_running'], ['run_id', 'hostname'], ['run_id', 'block_id', 'task_executor'],
    ],
  },
  status: {
    doc: 'Every state change of every task with its time, in order (append only).',
    columns: [
      int('task_id', true), text('task_status_name', true), time('timestamp', true),
      text('run_id', true), int('try_id', true),
    ],
    indexes: [['run_id', 'task_id'], ['run_id', 'timestamp']],
  },
  block: {
    doc: 'Every state change of every block (batch job) with its time: status is the '
      + 'provider\'s state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, …), job_id the '
      + 'scheduler\'s id; scheduler_message says why a block failed (scheduler reason, '
      + 'stderr tail) — a parsl-ts addition.',
    columns: [
      text('run_id', true), text('executor_label', true), text('block_id', true),
      text('job_id'), time('timestamp', true), text('status', true),
      // parsl-ts addition:
      text('scheduler_message'),
    ],
    indexes: [['run_id', 'executor_label', 'block_id', 'timestamp'], ['run_id', 'timestamp']],
  },
  node: {
    doc: 'A manager\'s states, as Parsl logs them: one row while it is active (1, updated with '
      + 'each heartbeat) and one once it is gone (active 0, its last values), per manager (uid) '
      + 'per run: host, block, cores, total memory (bytes), workers and last_heartbeat; python_v '
      + 'holds the Node.js version. A thread executor appears as one node (uid = its label).',
    autoId: true,
    columns: [
      text('run_id', true), text('hostname', true), text('uid', true), text('block_id', true),
      int('cpu_count', true), real('total_memory', true), int('active', true),
      int('worker_count', true), text('python_v', true), time('timestamp', true),
      time('last_heartbeat', true),
      // parsl-ts additions:
      text('executor_label'), time('time_registered'), real('manager_memory_resident'),
    ],
    key: ['run_id', 'uid', 'active'],
    indexes: [['run_id', 'block_id'], ['run_id', 'hostname']],
  },
  resource: {
    doc: 'Resource samples of a running try, every resourceMonitoringInterval seconds, taken '
      + 'on the worker side: CPU seconds (user/system, cumulative), memory (bytes), I/O bytes '
      + '(cumulative) and child processes, of the worker process and its children (HTEX) or '
      + 'of the whole driver process (thread executor: threads share it).',
    columns: [
      int('try_id', true), int('task_id', true), text('run_id', true), time('timestamp', true),
      real('resource_monitoring_interval'), int('psutil_process_pid'),
      real('psutil_process_cpu_percent'), real('psutil_process_memory_percent'),
      real('psutil_process_children_count'), real('psutil_process_time_user'),
      real('psutil_process_time_system'), real('psutil_process_memory_virtual'),
      real('psutil_process_memory_resident'), real('psutil_process_disk_read'),
      real('psutil_process_disk_write'), text('psutil_process_status'),
      // parsl-ts addition:
      text('hostname'),
    ],
    indexes: [['run_id', 'task_id', 'try_id', 'timestamp'], ['run_id', 'timestamp']],
  },
  dependency: {
    doc: 'parsl-ts addition: one row per edge of the task graph (task_id waited on '
      + 'depends_on), so the dependency graph is a join, not a parse of task_depends.',
    columns: [text('run_id', true), int('task_id', true), int('depends_on', true)],
    indexes: [['run_id', 'task_id'], ['run_id', 'depends_on']],
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Column names of a table, in order (without node's auto `id`). */
export function columnNames(table: TableName): string[] {
  return TABLES[table].columns.map((column) => column.name);
}

// --- Row types: what a SELECT * returns (times are epoch seconds) ---

export interface WorkflowRow {
  run_id: string; workflow_name: string | null; workflow_version: string | null;
  time_began: number; time_completed: number | null; host: string; user: string;
  rundir: string; tasks_failed_count: number; tasks_completed_count: number;
  time_last_update: number | null; tasks_submitted_count: number | null;
}

export interface TaskRow {
  task_id: number; run_id: string; task_depends: string | null; task_func_name: string;
  task_memoize: string; task_hashsum: string | null; task_inputs: string | null;
  task_outputs: string | null; task_stdin: string | null; task_stdout: string | null;
  task_stderr: string | null; task_time_invoked: number | null;
  task_time_returned: number | null; task_fail_count: number; task_fail_cost: number;
  task_status_name: TaskStatusName | null; task_executor: string | null;
}

export interface TryRow {
  try_id: number; task_id: number; run_id: string; block_id: string | null;
  hostname: string | null; task_executor: string; task_try_time_launched: number | null;
  task_try_time_running: number | null; task_try_time_returned: number | null;
  task_fail_history: string | null; task_joins: string | null; manager_id: string | null;
  worker_id: string | null; task_try_status: TaskStatusName | null;
}

export interface StatusRow {
  task_id: number; task_status_name: TaskStatusName; timestamp: number; run_id: string;
  try_id: number;
}

export interface BlockRow {
  run_id: string; executor_label: string; block_id: string; job_id: string | null;
  timestamp: number; status: string; scheduler_message: string | null;
}

export interface NodeRow {
  id?: number; run_id: string; hostname: string; uid: string; block_id: string;
  cpu_count: number; total_memory: number; active: number; worker_count: number;
  python_v: string; timestamp: number; last_heartbeat: number; executor_label: string | null;
  time_registered: number | null; manager_memory_resident: number | null;
}

export interface ResourceRow {
  try_id: number; task_id: number; run_id: string; timestamp: number;
  resource_monitoring_interval: number | null; psutil_process_pid: number | null;
  psutil_process_cpu_percent: number | null; psutil_process_memory_percent: number | null;
  psutil_process_children_count: number | null; psutil_process_time_user: number | null;
  psutil_process_time_system: number | null; psutil_process_memory_virtual: number | null;
  psutil_process_memory_resident: number | null; psutil_process_disk_read: number | null;
  psutil_process_disk_write: number | null; psutil_process_status: string | null;
  hostname: string | null;
}

export interface DependencyRow { run_id: string; task_id: number; depends_on: number; }

/** Row type of each table. */
export interface TableRows {
  workflow: WorkflowRow; task: TaskRow; try: TryRow; status: StatusRow; block: BlockRow;
  node: NodeRow; resource: ResourceRow; dependency: DependencyRow;
}

// --- DDL ---

const SQL_TYPES: Record<ColumnType, string> = {
  text: 'TEXT', integer: 'INTEGER', time: 'DOUBLE PRECISION', real: 'DOUBLE PRECISION',
};

/** Quotes an identifier: `try`, `user` and `timestamp` are keywords in one dialect or another. */
export function quoteIdent(name: string): string {
  return `"${name}"`;
}

/**
 * The statements that create the schema (idempotent: IF NOT EXISTS), for one dialect.
 * They run in order inside one transaction.
 */
export function createSchemaStatements(dialect: Dialect): string[] {
  // Databases of parsl-ts 0.1 keyed node rows by (run_id, uid) in a constraint (SQLite's
  // is rebuilt by the SQLite store: see OLD_NODE_KEY).
  const statements: string[] = dialect === 'postgresql' ? ['ALTER TABLE IF EXISTS "node" DROP CONSTRAINT IF EXISTS "node_run_id_uid_key"'] : [];
  for (const name of TABLE_NAMES) {
    const spec: TableSpec = TABLES[name];
    const lines: string[] = [];
    if (spec.autoId) {
      lines.push(dialect === 'sqlite'
        ? '"id" INTEGER PRIMARY KEY AUTOINCREMENT'
        : '"id" INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY');
    }
    for (const column of spec.columns) {
      lines.push(`${quoteIdent(column.name)} ${SQL_TYPES[column.type]}${column.notNull ? ' NOT NULL' : ''}`);
    }
    // A table with its own id has its key as a unique index, which a later version can
    // change without rebuilding the table.
    if (spec.key && !spec.autoId) lines.push(`PRIMARY KEY (${spec.key.map(quoteIdent).join(', ')})`);
    statements.push(`CREATE TABLE IF NOT EXISTS ${quoteIdent(name)} (\n  ${lines.join(',\n  ')}\n)`);
    if (spec.key && spec.autoId) {
      statements.push(`CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(`ux_${name}_key`)} ON ${quoteIdent(name)} (${spec.key.map(quoteIdent).join(', ')})`);
    }
    for (const indexColumns of spec.indexes) {
      const indexName = `ix_${name}_${indexColumns.join('_')}`;
      statements.push(`CREATE INDEX IF NOT EXISTS ${quoteIdent(indexName)} ON ${quoteIdent(name)} `
        + `(${indexColumns.map(quoteIdent).join(', ')})`);
    }
  }
  return statements;
}

/** How an SQLite `node` table of parsl-ts 0.1 declared its key (one row per manager). */
export const OLD_NODE_KEY = 'UNIQUE ("run_id", "uid")';
