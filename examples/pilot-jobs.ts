// The same kind of workflow on pilot jobs: a HighThroughputExecutor whose LocalProvider
// starts a block (a `parsl-ts worker-pool` manager with 2 worker processes) that connects
// back over authenticated TCP. On a cluster, swap LocalProvider for the scheduler's provider
// (SlurmProvider, PBSProProvider, …; `parsl-ts init` on a login node writes one for you).
// Run: npx parsl-ts run examples/pilot-jobs.ts
import { hostname } from 'node:os';
import { app, defineConfig, HighThroughputExecutor, load, LocalProvider } from 'parsl-ts';

/** Where did this run? Worker processes see their rank in the environment. */
const whereAmI = app(async (i: number) => {
  const os = await import('node:os');
  await new Promise((resolve) => setTimeout(resolve, 50)); // some work, so both workers get a share
  return { i, host: os.hostname(), pid: process.pid, rank: process.env['PARSL_WORKER_RANK'] };
});

const config = defineConfig({
  executors: [new HighThroughputExecutor({
    label: 'htex',
    maxWorkersPerNode: 2,
    provider: new LocalProvider({ initBlocks: 1, maxBlocks: 1 }),
  })],
});

const dfk = await load(config);
const placements = await Promise.all(Array.from({ length: 20 }, (_, i) => whereAmI(i)));
const pids = new Set(placements.map((p) => p.pid));
const ranks = [...new Set(placements.map((p) => p.rank))].sort();
console.log(`pilot jobs: 20 tasks ran in ${pids.size} worker processes (ranks ${ranks.join(', ')}) on ${hostname()}, none in the driver (pid ${process.pid}): ${!pids.has(process.pid)}`);
await dfk.cleanup();
