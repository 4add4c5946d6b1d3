import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { load, ThreadPoolExecutor } from '../../src/index.js';
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
