import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatStatus } from '../../src/cli/status.js';
import type { RunStatus } from '../../src/dataflow/status-file.js';
import { tempDir } from '../helpers.js';

const snapshot = (over: Partial<RunStatus> = {}): RunStatus => ({
  runDir: '/tmp/runinfo/004', pid: 4242, hostname: 'node1', startedAt: 0, updatedAt: 10_000, state: 'running',
  tasks: { submitted: 10, pending: 2, queued: 8, running: 0, done: 0, failed: 0 },
  executors: [{ label: 'htex', kind: 'HighThroughputExecutor', queued: 8, running: 0, workers: 0,
    blocks: [{ blockId: '0', jobId: '991', state: 'pending', submittedAt: 1000 }], managers: [] }],
  ...over,
});

test('status explains a hung run: tasks queued, no worker, block pending in the scheduler', () => {
  const text = formatStatus(snapshot(), 10_500, true);
  assert.match(text, /run \/tmp\/runinfo\/004: running \(driver pid 4242 on node1/);
  assert.match(text, /tasks: 10 submitted · 0 done · 0 failed · 8 queued · 0 running · 2 waiting for dependencies/);
  assert.match(text, /blocks of htex:\nblock\s+job\s+state.*\n0\s+991\s+pending/);
  assert.match(text, /hint: htex: 8 tasks queued but no worker is connected; 1 block\(s\) still pending in the scheduler/);
});

test('status notices a killed driver and a blocked event loop', () => {
  assert.match(formatStatus(snapshot(), 10_500, false), /driver gone[\s\S]*hint: the driver process is gone/);
  assert.match(formatStatus(snapshot(), 30_000, true), /hint: the snapshot is stale/);
  assert.doesNotMatch(formatStatus(snapshot({ state: 'ended' }), 90_000, false), /stale|gone/);
});

test('status without any run says so and exits 2', () => {
  const dir = tempDir();
  try {
    const result = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/parsl-ts.js', import.meta.url)), 'status', dir], { encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no run with a status\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
