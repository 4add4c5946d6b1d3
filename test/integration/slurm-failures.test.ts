// Blocks that fail on the real Slurm cluster are seen and explained, never a silent hang:
// a bad workerInit (the job's stderr reaches the tasks), an unknown partition (Slurm's own
// message), a block that stays pending (`parsl-ts status` shows Slurm's reason).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { app, ExecutorError } from '../../src/index.js';
import { clusterSkipReason, startSlurmRun, waitFor } from './slurm-helpers.js';

const skip = clusterSkipReason();
const CLI = fileURLToPath(new URL('../../bin/parsl-ts.js', import.meta.url));

export const double = app(function double(x: number) {
  return 2 * x;
});

describe('SlurmProvider block failures on a real cluster', { skip, timeout: 180_000 }, () => {
  it('a bad workerInit fails the waiting tasks with the job\'s stderr', async () => {
    const run = await startSlurmRun({ workerInit: 'echo "workerInit: no module named quux" >&2; exit 3' });
    try {
      await assert.rejects(double(1), (error: Error) => {
        assert.ok(error instanceof ExecutorError, String(error));
        assert.match(error.message, /failed at start/);
        assert.match(error.message, /no module named quux/);
        return true;
      });
      const [block] = run.executor.blocks();
      assert.equal(block!.state, 'failed');
      assert.equal(block!.schedulerState, 'FAILED');
    } finally {
      await run.finish();
    }
  });

  it('an unknown partition fails the tasks with an error naming the partition and Slurm\'s message', async () => {
    const run = await startSlurmRun({ partition: 'nosuchpart' });
    try {
      await assert.rejects(double(1), (error: Error) => {
        assert.ok(error instanceof ExecutorError, String(error));
        assert.match(error.message, /partition 'nosuchpart'/);
        assert.match(error.message, /sbatch: error: .*[Ii]nvalid partition/);
        assert.match(error.message, /exited with code 1/);
        return true;
      });
    } finally {
      await run.finish();
    }
  });

  it('a block that stays pending shows its job id, PENDING and Slurm\'s reason in `parsl-ts status`', async () => {
    const run = await startSlurmRun({ schedulerOptions: '#SBATCH --begin=now+1hour' });
    try {
      const pending = double(2);
      await waitFor(() => run.executor.blocks()[0]?.reason === 'BeginTime', 20_000, 'Slurm\'s pending reason');
      const jobId = run.executor.blocks()[0]!.jobId!;
      let out = '';
      await waitFor(() => {
        out = spawnSync(process.execPath, [CLI, 'status', run.runDir], { encoding: 'utf8' }).stdout;
        return out.includes('BeginTime');
      }, 10_000, 'the status snapshot');
      assert.match(out, new RegExp(`^0\\s+${jobId}\\s+pending\\s+PENDING\\s+BeginTime`, 'm'));
      assert.match(out, /hint: slurm: 1 tasks queued but no worker is connected; 1 block\(s\) still pending in the scheduler \(scheduler's reason: BeginTime\)/);
      // The task never ran: cancel it, then cleanup() cancels the pending job.
      assert.equal(pending.cancel(), true);
      await assert.rejects(pending, /cancelled/);
    } finally {
      await run.finish();
    }
  });
});
