import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startHtex, stopHtex, type HtexRun } from './htex-helpers.js';
import { checkRecorded, runWorkflow, type Query } from './monitoring-workflow.js';

test('a monitored workflow on HTEX + LocalProvider records tries with host, block, manager and worker, a block with its states, a node and resource samples from the worker', async () => {
  let run: HtexRun | undefined;
  try {
    run = await startHtex({}, {}, { retries: 1, monitoring: { resourceMonitoringInterval: 0.2 } });
    const ids = await runWorkflow(run.dfk, run.dir);
    await run.dfk.cleanup();
    const db = new Database(join(run.dir, 'runinfo', 'monitoring.db'), { readonly: true });
    try {
      const query: Query = async (sql, params = []) => db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as Record<string, unknown>[];
      await checkRecorded(query, run.dfk.runId, ids, 'htex');
      const tries = await query('SELECT * FROM try WHERE run_id = ?', [run.dfk.runId]);
      const [node] = await query('SELECT * FROM node WHERE run_id = ?', [run.dfk.runId]);
      for (const t of tries) {
        assert.equal(t['block_id'], '0');
        assert.equal(t['manager_id'], node!['uid']);
        assert.match(String(t['worker_id']), /^[01]$/);
      }
      assert.equal(node!['block_id'], '0');
      assert.equal(Number(node!['worker_count']), 2);
      const blocks = await query('SELECT status, job_id FROM block WHERE run_id = ? ORDER BY timestamp', [run.dfk.runId]);
      assert.ok(blocks.length >= 2, `block 0 is recorded as it changes state: ${JSON.stringify(blocks)}`);
      assert.equal(blocks[0]!['status'], 'PENDING');
      assert.ok(blocks.some((b) => b['status'] === 'RUNNING'), 'running');
      assert.equal(blocks.at(-1)!['status'], 'CANCELLED', 'cancelled at cleanup');
      assert.ok(blocks.every((b) => b['job_id'] !== null));
      const samples = await query('SELECT psutil_process_pid, psutil_process_cpu_percent FROM resource WHERE run_id = ? AND task_id = ?', [run.dfk.runId, ids.busy]);
      assert.ok(samples.every((s) => Number(s['psutil_process_pid']) !== process.pid), 'sampled in the worker process, not the driver');
      assert.ok(samples.some((s) => Number(s['psutil_process_cpu_percent']) > 10), 'the busy task shows CPU use');
    } finally {
      db.close();
    }
  } finally {
    await stopHtex(run);
  }
});
