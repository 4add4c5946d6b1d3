// HighThroughputExecutor on the real three-node Slurm cluster (scripts/slurm-cluster.sh):
// managers on other hosts (network namespaces with their own hostname and address) connect
// back to the interchange through the default address probing, and run tasks there.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, SrunLauncher } from '../../src/index.js';
import { clusterSkipReason, liveJobs, startSlurmRun } from './slurm-helpers.js';

const skip = clusterSkipReason();

/** The hostname of the node the task runs on. */
export const nodeName = app(async function nodeName(i: number) {
  const os = await import('node:os');
  return `${os.hostname()}:${i}`;
});

describe('SlurmProvider on a real cluster', { skip, timeout: 240_000 }, () => {
  it('runs 300 tasks over two 2-node blocks with SrunLauncher, on at least 3 distinct nodes, with no address configured', async () => {
    const loadedAt = Date.now();
    const run = await startSlurmRun({ nodesPerBlock: 2, initBlocks: 2, maxBlocks: 2, launcher: new SrunLauncher() });
    try {
      const first = await nodeName(-1);
      const firstResultMs = Date.now() - loadedAt;
      process.stdout.write(`# load() to the first task result on the cluster: ${(firstResultMs / 1000).toFixed(1)} s (${first})\n`);
      // Both blocks' managers (four, one per node of each block) before the load, so that it spreads.
      const deadline = Date.now() + 60_000;
      while (run.executor.managers().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(run.executor.managers().length, 4, 'two 2-node blocks give four managers');
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => nodeName(i)));
      assert.deepEqual(results.map((r) => Number(r.split(':')[1])), Array.from({ length: 300 }, (_, i) => i));
      const hosts = new Set(results.map((r) => r.split(':')[0]));
      assert.ok(hosts.size >= 3, `tasks ran on ${[...hosts].join(', ')}`);
      for (const host of hosts) assert.match(host!, /^node[1-3]$/);
      const managerHosts = new Set(run.executor.managers().map((m) => m.hostname));
      assert.ok(managerHosts.size >= 3, `managers on ${[...managerHosts].join(', ')}`);
      // The address was found by probing: it is a list of the driver's own addresses.
      assert.ok(!run.executor.options.address.startsWith('127.'), run.executor.options.address);

      // The submit script and the job's output live in runinfo/NNN/submit_scripts/.
      const scripts = join(run.runDir, '000', 'submit_scripts');
      const names = readdirSync(scripts);
      const submit = names.find((n) => n.endsWith('.submit'))!;
      const text = readFileSync(join(scripts, submit), 'utf8');
      assert.match(text, /^#SBATCH --nodes=2$/m);
      assert.match(text, /^#SBATCH --partition=parsl$/m);
      assert.match(text, /^srun --ntasks 2 /m);
      assert.ok(names.some((n) => n.endsWith('.stdout')) && existsSync(join(scripts, submit.replace(/\.submit$/, '.stderr'))));
    } finally {
      await run.finish();
    }
    assert.deepEqual(liveJobs().filter((id) => run.jobIds().includes(id)), []);
  });
});
