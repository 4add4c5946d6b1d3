import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SAMPLE_FIELDS } from '../../src/monitoring/events.js';
import { DEFAULT_MAX_FRAME_BYTES, MessageType, decodeMonitoring, encodeTaskBatch, frame, type CodeEntry } from '../../src/executors/htex/protocol.js';
import { WorkerProcess, workerEnv } from '../../src/executors/htex/worker-process.js';
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

test('an HTEX worker sends the resource samples of a synchronous try before its result (a manager told to stop after the last result loses nothing)', { timeout: 30_000 }, async () => {
  const frames: { type: number; samples?: number }[] = [];
  let resolveResult: () => void;
  const gotResult = new Promise<void>((resolve) => { resolveResult = resolve; });
  let resolveReady: () => void;
  const ready = new Promise<void>((resolve) => { resolveReady = resolve; });
  const worker = new WorkerProcess(0, workerEnv({ rank: 0, count: 1, poolId: 'test', blockId: '0', accelerator: undefined, monitoringInterval: 0.1 }),
    DEFAULT_MAX_FRAME_BYTES, (type, payload) => {
      if (type === MessageType.Ready) { resolveReady(); return; }
      if (type === MessageType.Monitoring) frames.push({ type, samples: decodeMonitoring(payload).samples.length / SAMPLE_FIELDS });
      if (type === MessageType.Results) { frames.push({ type }); resolveResult(); }
    }, () => { /* the worker is killed below */ });
  try {
    await ready;
    // Synchronous for 600 ms: the worker's thread is held while its sampler thread samples.
    const spin = 'function spin(ms) { const until = Date.now() + ms; while (Date.now() < until); return ms; }';
    const code: CodeEntry = { index: 0, appName: 'spin', kind: 'function', spec: { id: 'spin', kind: 'source', name: 'spin', source: `(${spin})` } };
    worker.link.send(frame(MessageType.Tasks, encodeTaskBatch([code], [{ taskId: 7, tryId: 0, codeIndex: 0, walltime: -1, args: [600], extras: 0 }])));
    await gotResult;
    const resultAt = frames.findIndex((f) => f.type === MessageType.Results);
    const samplesBefore = frames.slice(0, resultAt).reduce((n, f) => n + (f.samples ?? 0), 0);
    assert.ok(samplesBefore >= 2, `samples sent before the result: ${JSON.stringify(frames)}`);
  } finally {
    worker.kill();
  }
});
