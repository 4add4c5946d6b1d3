// GridEngineProvider on a REAL Grid Engine 8.1.9 (Debian's gridengine-master/-exec/-client)
// with queue all.q, as `scripts/gridengine.sh up` sets it up (CI does, as root); skipped, with
// the reason in one line, when none answers (providers-standins.test.ts still covers the
// provider's commands without one).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { app, load, GridEngineProvider, HighThroughputExecutor } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { processesMentioning, waitFor } from './slurm-helpers.js';

process.env.SGE_ROOT ??= '/var/lib/gridengine';
process.env.SGE_CELL ??= 'default';
const qstat = spawnSync('qstat', ['-f'], { encoding: 'utf8', timeout: 10_000 });
const skip = qstat.status !== 0 || !/all\.q@/.test(qstat.stdout) ? `no Grid Engine with queue all.q answers here; as root, scripts/gridengine.sh up starts one (qstat -f: ${(qstat.stderr || qstat.stdout || 'not found').trim().split('\n')[0]})` : undefined;

export const sgeJob = app(function sgeJob() {
  return [process.env.JOB_ID ?? '', process.env.NSLOTS ?? ''];
});

describe('GridEngineProvider on a real Grid Engine', { skip, timeout: 180_000 }, () => {
  it('runs tasks in a qsub job (JOB_ID, NSLOTS set by Grid Engine); cleanup qdels it', async () => {
    const dir = tempDir('sge-it-');
    const runDir = join(dir, 'runinfo');
    const provider = new GridEngineProvider({ queue: 'all.q', walltime: '00:05:00', statusPollingInterval: 1000 });
    const dfk = await load({ executors: [new HighThroughputExecutor({ label: 'sge', provider, maxWorkersPerNode: 1, address: '127.0.0.1' })], runDir });
    let jobId = '';
    try {
      const [id, slots] = await sgeJob();
      jobId = id!;
      assert.match(id!, /^\d+$/);
      assert.equal(slots, '1');
    } finally {
      await dfk.cleanup();
    }
    await waitFor(() => !spawnSync('qstat', [], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.trim().startsWith(`${jobId} `)), 60_000, 'qstat to drop the job');
    await waitFor(() => processesMentioning(runDir).length === 0, 15_000, 'no process left');
    rmSync(dir, { recursive: true, force: true });
  });
});
