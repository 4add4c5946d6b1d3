// Blocks on the real Slurm cluster come and go: scaling out to maxBlocks under load and back
// in when idle (scancel), a block ended by its walltime while tasks run (they fail with
// ManagerLost saying so, are retried, a new block starts), a node whose link is cut.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { app, ManagerLost } from '../../src/index.js';
import { clusterSkipReason, startSlurmRun, waitFor } from './slurm-helpers.js';

const skip = clusterSkipReason();

/** Sleeps `seconds`, returns the node's hostname. */
export const nap = app(async function nap(seconds: number) {
  const os = await import('node:os');
  await new Promise((done) => setTimeout(done, seconds * 1000));
  return os.hostname();
});

/** The first try (no marker file yet) sleeps far longer than the test; later tries return at once. */
export const slowFirstTry = app(async function slowFirstTry(markerDir: string, i: number) {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const marker = `${markerDir}/${i}`;
  if (!fs.existsSync(marker)) {
    fs.writeFileSync(marker, os.hostname());
    await new Promise((done) => setTimeout(done, 600_000));
  }
  return os.hostname();
});

/** Scheduler states Slurm still lists for `jobIds` (finished jobs stay listed for a while). */
function slurmStates(jobIds: string[]): Map<string, string> {
  const out = execFileSync('squeue', ['--noheader', '--states=all', '--format=%i %T', `--jobs=${jobIds.join(',')}`], { encoding: 'utf8' });
  return new Map(out.split('\n').filter(Boolean).map((l) => l.trim().split(' ') as [string, string]));
}

describe('SlurmProvider blocks on a real cluster', { skip, timeout: 300_000 }, () => {
  it('scales out to maxBlocks under load and back in with scancel when idle (encrypted links)', async () => {
    const run = await startSlurmRun({ initBlocks: 0, minBlocks: 0, maxBlocks: 2 }, { encrypted: true }, { maxIdletime: 2 });
    try {
      const hosts = await Promise.all(Array.from({ length: 8 }, () => nap(1.5)));
      assert.equal(hosts.length, 8);
      assert.equal(run.executor.blocks().length, 2, 'scaled out to maxBlocks');
      const ids = run.jobIds();
      await waitFor(() => run.executor.blocks().every((b) => b.state === 'cancelled'), 60_000, 'idle blocks to be scaled in');
      await waitFor(() => [...slurmStates(ids).values()].every((s) => s === 'CANCELLED'), 30_000, 'squeue to show the jobs CANCELLED');
    } finally {
      await run.finish();
    }
  });

  it('a block killed by its 1-minute walltime: its tasks fail with ManagerLost saying so, are retried, a new block starts', async () => {
    const errors: string[] = [];
    const run = await startSlurmRun({ walltime: '00:01:00', initBlocks: 1, maxBlocks: 1 }, {}, {
      retries: 1,
      retryHandler: (error) => { errors.push(`${(error as Error).name}: ${(error as Error).message}`); return 1; },
    });
    try {
      const markers = join(run.dir, 'markers');
      mkdirSync(markers);
      // Taken before the drain point (54 s), still running when Slurm ends the block.
      const results = await Promise.all([slowFirstTry(markers, 0), slowFirstTry(markers, 1)]);
      for (const host of results) assert.match(host, /^node[1-3]$/);
      assert.equal(errors.length, 2, errors.join('\n'));
      for (const error of errors) {
        assert.match(error, new RegExp(`^${ManagerLost.name}: .*the block reached its walltime`));
      }
      const blocks = run.executor.blocks();
      assert.equal(blocks[0]!.state, 'timeout');
      assert.equal(blocks[0]!.schedulerState, 'TIMEOUT');
      assert.ok(blocks.length >= 2, 'the strategy started a new block');
      assert.equal(run.executor.badState, undefined, 'a block ended by its walltime is not a failed block');
    } finally {
      await run.finish();
    }
  });

  it('a node whose link is cut: its tasks end with ManagerLost and are retried on another node', async () => {
    const errors: string[] = [];
    const run = await startSlurmRun({ initBlocks: 2, maxBlocks: 2 }, {}, {
      retries: 2,
      retryHandler: (error) => { errors.push(`${(error as Error).name}: ${(error as Error).message}`); return 1; },
    });
    let cut: string | undefined;
    try {
      await waitFor(() => new Set(run.executor.managers().map((m) => m.hostname)).size === 2, 60_000, 'managers on two nodes');
      const victim = run.executor.managers()[0]!.hostname;
      const tasks = Array.from({ length: 8 }, () => nap(4));
      await waitFor(() => run.executor.managers().every((m) => m.tasks > 0), 20_000, 'both managers busy');
      cut = `pslv${victim.replace('node', '')}`;
      execFileSync('ip', ['link', 'set', cut, 'down']);
      const hosts = await Promise.all(tasks);
      assert.ok(errors.length >= 1 && errors.every((e) => e.startsWith('ManagerLost')), errors.join('\n'));
      assert.ok(errors.some((e) => e.includes(victim)), errors.join('\n'));
      assert.ok(hosts.filter((h) => h !== victim).length >= errors.length, `retries ran elsewhere: ${hosts.join(', ')}`);
    } finally {
      if (cut !== undefined) execFileSync('ip', ['link', 'set', cut, 'up']);
      await run.finish();
    }
  });
});
