/** Helpers for the HighThroughputExecutor integration tests: real processes, real TCP. */
import { readFileSync, rmSync } from 'node:fs';
import { tempDir as sharedTempDir } from '../helpers.js';
import { join } from 'node:path';
import { load, HighThroughputExecutor, LocalProvider, type Config, type DataFlowKernel } from '../../src/index.js';
import { descendantPids } from '../../src/util/processes.js';
import type { HighThroughputExecutorOptions } from '../../src/executors/htex/options.js';
import type { LocalProviderOptions } from '../../src/providers/local.js';

export function tempDir(): string {
  return sharedTempDir('htex-it-');
}

/** Command lines of this process's descendants that are managers or workers. */
export function htexProcesses(root = process.pid): string[] {
  const out: string[] = [];
  for (const pid of descendantPids(root)) {
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
    if (cmdline.includes('worker-pool') || cmdline.includes('worker-entry')) out.push(`${pid} ${cmdline}`);
  }
  return out;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface HtexRun {
  dfk: DataFlowKernel;
  executor: HighThroughputExecutor;
  dir: string;
  runDir: string;
}

/** Starts a DFK with one HighThroughputExecutor on a LocalProvider in a temp dir. */
export async function startHtex(options: HighThroughputExecutorOptions = {}, provider: LocalProviderOptions = {}, config: Partial<Config> = {}): Promise<HtexRun> {
  const dir = tempDir();
  const executor = new HighThroughputExecutor({
    label: 'htex', maxWorkersPerNode: 2, heartbeatPeriod: 1, heartbeatThreshold: 4,
    provider: new LocalProvider({ initBlocks: 1, statusPollingInterval: 200, ...provider }), ...options,
  });
  const dfk = await load({ executors: [executor], runDir: join(dir, 'runinfo'), ...config });
  return { dfk, executor, dir, runDir: dfk.runDir };
}

/** Cleans up and checks that no manager or worker process is left. */
export async function stopHtex(run: HtexRun | undefined): Promise<void> {
  if (run === undefined) return;
  try {
    await run.dfk.cleanup();
    await waitFor(() => htexProcesses().length === 0, 5000, 'no manager or worker left after cleanup');
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
}
