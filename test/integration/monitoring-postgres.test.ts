/**
 * PostgreSQL: the same workflow records the same rows as on SQLite. Uses the server named by
 * PARSL_TEST_POSTGRES_URL, else starts a throwaway one with scripts/postgres.sh; skips only
 * when no PostgreSQL server is installed on this machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { load, ThreadPoolExecutor } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { usePostgresServer } from './postgres-server.js';
import { checkRecorded, runWorkflow, type Query } from './monitoring-workflow.js';

const postgres = usePostgresServer();

async function recordWorkflow(dbUrl: string | undefined, dir: string): Promise<{ runId: string; ids: Awaited<ReturnType<typeof runWorkflow>> }> {
  const dfk = await load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'), retries: 1,
    monitoring: { dbUrl, resourceMonitoringInterval: 0.2 },
  });
  try {
    return { runId: dfk.runId, ids: await runWorkflow(dfk, dir) };
  } finally {
    await dfk.cleanup();
  }
}

/** What must be equal between two databases: rows with run-specific times left out. */
async function comparable(query: Query, runId: string): Promise<Record<string, unknown>> {
  const rows = async (sql: string) => (await query(sql, [runId])).map((row) => JSON.stringify(Object.values(row).map((v) => (typeof v === 'number' ? v : v === null ? null : String(v)))));
  return {
    task: await rows('SELECT task_id, task_func_name, task_depends, task_status_name, task_fail_count, task_fail_cost, task_executor FROM task WHERE run_id = $1 ORDER BY task_id'),
    try: await rows('SELECT task_id, try_id, task_executor, task_fail_history, task_try_status FROM try WHERE run_id = $1 ORDER BY task_id, try_id'),
    // A task's status times strictly increase in the order of its states (ties are a microsecond apart).
    status: await rows('SELECT task_id, try_id, task_status_name FROM status WHERE run_id = $1 ORDER BY task_id, try_id, timestamp'),
    dependency: await rows('SELECT task_id, depends_on FROM dependency WHERE run_id = $1 ORDER BY task_id, depends_on'),
    node: await rows('SELECT uid, worker_count, active FROM node WHERE run_id = $1'),
    workflow: await rows('SELECT tasks_completed_count, tasks_failed_count, tasks_submitted_count FROM workflow WHERE run_id = $1'),
  };
}

test('PostgreSQL records the same rows as SQLite for the same workflow', async (t) => {
  if (postgres.unavailable !== undefined) { t.skip(postgres.unavailable); return; }
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const dir = tempDir();
    const onPostgres = await recordWorkflow(postgres.url, join(dir, 'pg'));
    const onSqlite = await recordWorkflow(undefined, join(dir, 'sqlite'));
    const pgQuery: Query = async (sql, params = []) => (await client.query(sql, params)).rows as Record<string, unknown>[];
    await checkRecorded(pgQuery, onPostgres.runId, onPostgres.ids, 'threads');
    const db = new Database(join(dir, 'sqlite', 'runinfo', 'monitoring.db'), { readonly: true });
    try {
      const sqliteQuery: Query = async (sql, params = []) => db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as Record<string, unknown>[];
      assert.deepEqual(await comparable(pgQuery, onPostgres.runId), await comparable(sqliteQuery, onSqlite.runId));
    } finally {
      db.close();
    }
  } finally {
    await client.end();
  }
});
