/**
 * SlurmProvider (Parsl's `SlurmProvider`): each block is one `sbatch` job. Status of every
 * block comes from one `squeue` call per poll (`sacct` when Slurm keeps accounting), in
 * batches; `scancel` ends blocks on scale-in and at cleanup.
 */
import { SchedulerCommandError } from '../errors.js';
import { SingleNodeLauncher } from './launchers/single-node.js';
import type { Launcher } from './launchers/launcher.js';
import {
  ClusterProvider, formatWalltime, mapState, optionalBoolean, optionalText, positiveIntegerCheck,
  type ClusterProviderOptions, type SchedulerJobStatus, type SubmitRequest,
} from './cluster.js';
import type { JobState } from './provider.js';

export interface SlurmProviderOptions extends ClusterProviderOptions {
  /** Partition (`--partition`). Default: the cluster's default partition. */
  partition?: string;
  /** Account charged (`--account`). Default: your default account. */
  account?: string;
  /** Quality of service (`--qos`). Default: none asked. */
  qos?: string;
  /** Node features required (`--constraint`), e.g. `'cpu'` or `'haswell&ib'`. Default: none. */
  constraint?: string;
  /** Ask for whole nodes not shared with other jobs (`--exclusive`). Default true (as Parsl). */
  exclusive?: boolean;
  /** GB of memory per node (`--mem=<n>g`; exported as PARSL_MEMORY_GB). Default: none asked. */
  memPerNode?: number;
  /** Cores per node to ask for (`--cpus-per-task` = cores / tasks per node; exported as PARSL_CORES). Default: none asked. */
  coresPerNode?: number;
  /** Nodes per block (`--nodes`); use `SrunLauncher` to start a manager on each. Default 1. */
  nodesPerBlock?: number;
  /** Block walltime, `'HH:MM:SS'` (`--time`). Default `'00:10:00'`. */
  walltime?: string;
  /** Extra `#SBATCH` lines, verbatim, after the provider's own (Slurm honours the last). Default ''. */
  schedulerOptions?: string;
  /** Shell lines run in the job before the worker pool starts. Default ''. */
  workerInit?: string;
  /** Starts the managers on the block's nodes. Default `new SingleNodeLauncher()`; `new SrunLauncher()` for several nodes a block. */
  launcher?: Launcher;
  /** Blocks started when the executor starts. Default 1. */
  initBlocks?: number;
  /** Blocks kept even when idle. Default 0. */
  minBlocks?: number;
  /** Most blocks at once. Default 1. */
  maxBlocks?: number;
  /** Seconds each `sbatch`/`squeue`/`sacct`/`scancel` may take. Default 10. */
  cmdTimeout?: number;
  /** Milliseconds between status polls. Default 30000. */
  statusPollingInterval?: number;
  /**
   * Read states with `sacct` (true) or `squeue` (false). Default: `sacct` when the cluster
   * keeps accounting (`scontrol show config`), else `squeue`.
   */
  useSacct?: boolean;
}

/** Every Slurm job state (long names as squeue `%T` and sacct print them, and squeue's short codes). */
export const SLURM_STATES: Readonly<Record<string, JobState>> = {
  PENDING: 'pending', PD: 'pending',
  CONFIGURING: 'pending', CF: 'pending',
  REQUEUED: 'pending', RQ: 'pending',
  REQUEUE_FED: 'pending', RF: 'pending',
  REQUEUE_HOLD: 'held', RH: 'held',
  RESV_DEL_HOLD: 'held', RD: 'held',
  SUSPENDED: 'held', S: 'held',
  STOPPED: 'held', ST: 'held',
  RUNNING: 'running', R: 'running',
  COMPLETING: 'running', CG: 'running',
  RESIZING: 'running', RS: 'running',
  SIGNALING: 'running', SI: 'running',
  STAGE_OUT: 'running', SO: 'running',
  COMPLETED: 'completed', CD: 'completed',
  CANCELLED: 'cancelled', CA: 'cancelled',
  FAILED: 'failed', F: 'failed',
  BOOT_FAIL: 'failed', BF: 'failed',
  NODE_FAIL: 'failed', NF: 'failed',
  OUT_OF_MEMORY: 'failed', OOM: 'failed',
  PREEMPTED: 'failed', PR: 'failed',
  REVOKED: 'failed', RV: 'failed',
  SPECIAL_EXIT: 'failed', SE: 'failed',
  TIMEOUT: 'timeout', TO: 'timeout',
  DEADLINE: 'timeout', DL: 'timeout',
};

/** Reads `squeue --format=%i|%T|%r` lines. */
export function parseSqueue(stdout: string): Map<string, SchedulerJobStatus> {
  const found = new Map<string, SchedulerJobStatus>();
  for (const line of stdout.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (!id || !state) continue;
    found.set(id, { state: mapState(SLURM_STATES, state), schedulerState: state, reason: reason && reason !== 'None' ? reason : undefined });
  }
  return found;
}

/** Reads `sacct --parsable2 --format=JobIDRaw,State,ExitCode` lines (`CANCELLED by 0`, exit `3:0`). */
export function parseSacct(stdout: string): Map<string, SchedulerJobStatus> {
  const found = new Map<string, SchedulerJobStatus>();
  for (const line of stdout.split('\n')) {
    const [id, stateText, exit] = line.trim().split('|');
    if (!id || !stateText || id.includes('.')) continue;
    const state = stateText.split(' ')[0]!;
    const exitCode = exit === undefined ? undefined : Number(exit.split(':')[0]);
    found.set(id, {
      state: mapState(SLURM_STATES, state), schedulerState: state,
      reason: stateText.length > state.length ? stateText.slice(state.length + 1) : undefined,
      exitCode: exitCode !== undefined && Number.isInteger(exitCode) && exitCode !== 0 ? exitCode : undefined,
    });
  }
  return found;
}

const positiveNumber = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive number');

export class SlurmProvider extends ClusterProvider {
  readonly label = 'slurm';
  protected readonly providerName = 'SlurmProvider';
  readonly partition: string | undefined;
  readonly account: string | undefined;
  readonly qos: string | undefined;
  readonly constraint: string | undefined;
  readonly exclusive: boolean;
  readonly memPerNode: number | undefined;
  readonly coresPerNode: number | undefined;
  readonly useSacct: boolean | undefined;
  #accounting: Promise<boolean> | undefined;

  constructor(options: SlurmProviderOptions = {}) {
    super('SlurmProvider', options, {
      initBlocks: 1, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, parallelism: 1, walltime: '00:10:00',
      launcher: () => new SingleNodeLauncher(), workerInit: '', schedulerOptions: '',
    }, {
      partition: optionalText, account: optionalText, qos: optionalText, constraint: optionalText,
      exclusive: optionalBoolean, memPerNode: positiveNumber, coresPerNode: positiveIntegerCheck, useSacct: optionalBoolean,
    });
    this.partition = options.partition;
    this.account = options.account;
    this.qos = options.qos;
    this.constraint = options.constraint;
    this.exclusive = options.exclusive ?? true;
    this.memPerNode = options.memPerNode;
    this.coresPerNode = options.coresPerNode;
    this.useSacct = options.useSacct;
  }

  protected directives(request: SubmitRequest): string[] {
    const lines = [
      `#SBATCH --job-name=${request.jobName}`,
      `#SBATCH --output=${request.stdoutPath}`,
      `#SBATCH --error=${request.stderrPath}`,
      `#SBATCH --nodes=${request.nodesPerBlock}`,
      `#SBATCH --ntasks-per-node=${request.tasksPerNode}`,
    ];
    if (request.walltimeSeconds !== undefined) lines.push(`#SBATCH --time=${formatWalltime(request.walltimeSeconds)}`);
    if (this.exclusive) lines.push('#SBATCH --exclusive');
    if (this.partition) lines.push(`#SBATCH --partition=${this.partition}`);
    if (this.account) lines.push(`#SBATCH --account=${this.account}`);
    if (this.qos) lines.push(`#SBATCH --qos=${this.qos}`);
    if (this.constraint) lines.push(`#SBATCH --constraint=${this.constraint}`);
    if (this.memPerNode !== undefined) lines.push(`#SBATCH --mem=${Math.ceil(this.memPerNode * 1024)}M`);
    if (this.coresPerNode !== undefined) lines.push(`#SBATCH --cpus-per-task=${Math.max(1, Math.floor(this.coresPerNode / request.tasksPerNode))}`);
    return lines;
  }

  protected override environment(request: SubmitRequest): string[] {
    const lines: string[] = [];
    if (this.memPerNode !== undefined) lines.push(`export PARSL_MEMORY_GB=${this.memPerNode}`);
    if (this.coresPerNode !== undefined) lines.push(`export PARSL_CORES=${Math.max(1, Math.floor(this.coresPerNode / request.tasksPerNode))}`);
    return lines;
  }

  protected async submitScript(request: SubmitRequest): Promise<string> {
    const where = this.partition === undefined ? 'the default partition' : `partition '${this.partition}'`;
    const result = await this.run(['sbatch', '--parsable', request.scriptPath], { allowFailure: true });
    const command = `sbatch --parsable ${request.scriptPath}`;
    if (result.exitCode !== 0) {
      throw new SchedulerCommandError(command, result.exitCode, result.stderr, `exited with code ${result.exitCode} submitting to ${where}`);
    }
    // --parsable prints `jobid` or `jobid;cluster`.
    const jobId = result.stdout.trim().split('\n').pop()?.split(';')[0]?.trim() ?? '';
    if (!/^\d+(_\d+)?$/.test(jobId)) {
      throw new SchedulerCommandError(command, 0, result.stderr, `printed no job id (stdout: ${JSON.stringify(result.stdout.trim())})`);
    }
    return jobId;
  }

  /** Whether the cluster keeps accounting, so that `sacct` knows finished jobs. */
  #usesSacct(): Promise<boolean> {
    if (this.useSacct !== undefined) return Promise.resolve(this.useSacct);
    this.#accounting ??= this.run(['scontrol', 'show', 'config'], { allowFailure: true }).then((result) => {
      const line = result.stdout.split('\n').find((l) => l.startsWith('AccountingStorageType'));
      const on = line !== undefined && !line.includes('accounting_storage/none');
      this.logger?.info(`SlurmProvider: reading job states with ${on ? 'sacct' : 'squeue'}`);
      return on;
    });
    return this.#accounting;
  }

  protected async queryStatus(jobIds: string[]): Promise<Map<string, SchedulerJobStatus>> {
    const list = jobIds.join(',');
    if (await this.#usesSacct()) {
      const result = await this.run(['sacct', '-X', '--noheader', '--parsable2', '--format=JobIDRaw,State,ExitCode', `--jobs=${list}`]);
      const found = parseSacct(result.stdout);
      // sacct has no pending reason; squeue does while the job waits.
      const pending = [...found].filter(([, s]) => s.state === 'pending').map(([id]) => id);
      if (pending.length > 0) {
        for (const [id, status] of await this.#squeue(pending)) if (status.reason) found.get(id)!.reason = status.reason;
      }
      return found;
    }
    return this.#squeue(jobIds);
  }

  async #squeue(jobIds: string[]): Promise<Map<string, SchedulerJobStatus>> {
    const result = await this.run(['squeue', '--noheader', '--states=all', '--format=%i|%T|%r', `--jobs=${jobIds.join(',')}`], { allowFailure: true });
    // Every id purged: squeue exits 1 with "Invalid job id specified"; each job is then missing.
    if (result.exitCode !== 0 && /invalid job id/i.test(result.stderr)) return new Map();
    if (result.exitCode !== 0) {
      throw new SchedulerCommandError(`squeue --noheader --states=all --format=%i|%T|%r --jobs=${jobIds.join(',')}`, result.exitCode, result.stderr, `exited with code ${result.exitCode}`);
    }
    return parseSqueue(result.stdout);
  }

  protected async cancelJobs(jobIds: string[]): Promise<boolean[]> {
    const result = await this.run(['scancel', ...jobIds], { allowFailure: true });
    if (result.exitCode === 0) return jobIds.map(() => true);
    // scancel cancels what it can; an already finished job is not a failure to cancel it.
    this.logger?.warn(`SlurmProvider: scancel ${jobIds.join(' ')} exited with code ${result.exitCode}: ${result.stderr.trim()}`);
    const lines = result.stderr.split('\n');
    return jobIds.map((id) => lines.filter((line) => new RegExp(`\\b${id}\\b`).test(line))
      .every((line) => /already completing or completed|invalid job id/i.test(line)));
  }
}
