/**
 * Helpers for the tests on the real Slurm cluster that `scripts/slurm-cluster.sh up` builds
 * (three nodes, partition `parsl`). The tests skip, with the reason, only when `sbatch` is
 * missing or the cluster is not up.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { load, HighThroughputExecutor, SlurmProvider, type Config, type DataFlowKernel } from '../../src/index.js';
import type { HighThroughputExecutorOptions } from '../../src/executors/htex/options.js';
import type { SlurmProviderOptions } from '../../src/providers/slurm.js';

export const PARTITION = 'parsl';

/** Why the cluster tests cannot run here, or undefined when they can. */
export function clusterSkipReason(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v sbatch'], { stdio: 'ignore' }).status !== 0) return 'sbatch is not available (no Slurm here)';
  const sinfo = spawnSync('sinfo', ['--noheader', '--partition', PARTITION, '--format', '%D %t'], { encoding: 'utf8', timeout: 10_000 });
  if (sinfo.status !== 0 || !/\b(idle|mix|alloc)/.test(sinfo.stdout)) return `the Slurm cluster is not up (run \`scripts/slurm-cluster.sh up\` as root): ${(sinfo.stderr || sinfo.stdout).trim()}`;
  return undefined;
}

/** Job ids Slurm holds that are not finished (pending, running, completing). */
export function liveJobs(): string[] {
  const out = execFileSync('squeue', ['--noheader', '--format=%i %T'], { encoding: 'utf8', timeout: 10_000 });
  return out.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.split(' ')[0]!);
}

/** Cancels the given jobs if they still run (test cleanup after a failure). */
export function cancelJobs(jobIds: string[]): void {
  if (jobIds.length > 0) spawnSync('scancel', jobIds, { stdio: 'ignore', timeout: 10_000 });
}

/** Pids of processes anywhere on the machine whose command line mentions `marker` (e.g. a run dir). */
export function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
    if (cmdline.includes(marker)) found.push(`${entry} ${cmdline.slice(0, 200)}`);
  }
  return found;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface SlurmRun {
  dfk: DataFlowKernel;
  executor: HighThroughputExecutor;
  provider: SlurmProvider;
  dir: string;
  runDir: string;
  /** Every job id this run's provider submitted. */
  jobIds(): string[];
  /** cleanup(), then checks nothing is left: no job of ours in squeue, no process. */
  finish(): Promise<void>;
}

/**
 * A DFK with one HighThroughputExecutor on a SlurmProvider, settings for quick tests: short
 * heartbeats, 1 s polls, partition `parsl`, not exclusive (three nodes only).
 */
export async function startSlurmRun(provider: SlurmProviderOptions = {}, htex: Partial<HighThroughputExecutorOptions> = {}, config: Partial<Config> = {}): Promise<SlurmRun> {
  const dir = tempDir('slurm-it-');
  const runDir = join(dir, 'runinfo');
  const slurm = new SlurmProvider({
    partition: PARTITION, exclusive: false, walltime: '00:05:00', statusPollingInterval: 1000, cmdTimeout: 20, ...provider,
  });
  const executor = new HighThroughputExecutor({
    label: 'slurm', provider: slurm, maxWorkersPerNode: 1, heartbeatPeriod: 2, heartbeatThreshold: 10, ...htex,
  });
  const dfk = await load({ executors: [executor], runDir, strategyPeriod: 1, ...config });
  const jobIds = () => executor.blocks().map((b) => b.jobId).filter((id): id is string => id !== undefined);
  return {
    dfk, executor, provider: slurm, dir, runDir, jobIds,
    async finish() {
      const ours = jobIds();
      try {
        await dfk.cleanup();
        await waitFor(() => !liveJobs().some((id) => ours.includes(id)), 30_000, `jobs ${ours.join(', ')} to leave squeue`);
        await waitFor(() => processesMentioning(runDir).length === 0, 15_000, `no process of ${runDir} left`);
      } finally {
        cancelJobs(liveJobs().filter((id) => ours.includes(id)));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
