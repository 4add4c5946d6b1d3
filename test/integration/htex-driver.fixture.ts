// A driver for the failure tests, run as its own process: `node --import tsx htex-driver.fixture.ts <runDir> <mode>`.
// mode 'hold': start long tasks (async sleep, a synchronous loop, a bash sleep), print the pids, wait forever.
// mode 'idle': run one task, print the pids, and end without calling cleanup().
import { load, app, bashApp, HighThroughputExecutor, LocalProvider } from '../../src/index.js';

const pids = app(async function pids() {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { worker: process.pid, manager: process.ppid };
});
const sleepAsync = app(async function sleepAsync() { await new Promise((resolve) => setTimeout(resolve, 600_000)); });
const spin = app(function spin() { for (;;) { /* busy forever */ } });
const sleepBash = bashApp(() => 'sleep 600');

const [runDir, mode] = process.argv.slice(2);
await load({
  runDir,
  executors: [new HighThroughputExecutor({
    label: 'htex', maxWorkersPerNode: 3, coresPerWorker: 0.5, heartbeatPeriod: 0.5, heartbeatThreshold: 2,
    provider: new LocalProvider({ initBlocks: 1 }),
  })],
});
const seen = await Promise.all([pids(), pids(), pids(), pids()]);
process.stdout.write(`${JSON.stringify({ manager: seen[0]!.manager, workers: [...new Set(seen.map((s) => s.worker))] })}\n`);
if (mode === 'hold') {
  void sleepAsync();
  void spin();
  void sleepBash();
  setInterval(() => {}, 1000);
}
