/**
 * PBSProProvider (Parsl's `PBSProProvider`): each block is a `qsub` job asking for
 * `select=<nodes>:ncpus=<cpusPerNode>`; states from one `qstat -f -F json -x` per poll (JSON
 * keeps long job ids whole, `-x` keeps finished jobs).
 */
import { SingleNodeLauncher } from './launchers/single-node.js';
import type { Launcher } from './launchers/launcher.js';
import { formatWalltime, mapState, optionalText, positiveIntegerCheck, type ClusterProviderOptions, type SchedulerJobStatus, type SubmitRequest } from './cluster.js';
import { PBS_STATES, PbsFamilyProvider, pbsEndedState } from './pbs.js';

export interface PBSProProviderOptions extends ClusterProviderOptions {
  /** Queue (`-q`). Default: the server's default queue. */
  queue?: string;
  /** Account charged (`-A`). Default: none. */
  account?: string;
  /** Appended to the select statement, e.g. `'mem=64gb:ngpus=1'`. Default ''. */
  selectOptions?: string;
  /** CPUs per node in the select statement (`ncpus`). Default 1. */
  cpusPerNode?: number;
  /** Block walltime `'HH:MM:SS'` (`-l walltime`). Default `'00:20:00'`. */
  walltime?: string;
  /** Extra `#PBS` lines, verbatim, before the provider's own (PBS honours the first). */
  schedulerOptions?: string;
  /** Default `new SingleNodeLauncher()`; `MpiExecLauncher` for several nodes a block. */
  launcher?: Launcher;
}

interface QstatJson { Jobs?: Record<string, { job_state?: string; Exit_status?: number; comment?: string }> }

export class PBSProProvider extends PbsFamilyProvider {
  readonly label = 'pbspro';
  protected readonly providerName = 'PBSProProvider';
  readonly queue: string | undefined;
  readonly account: string | undefined;
  readonly selectOptions: string;
  readonly cpusPerNode: number;

  constructor(options: PBSProProviderOptions = {}) {
    super('PBSProProvider', options, {
      initBlocks: 1, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, parallelism: 1, walltime: '00:20:00',
      launcher: () => new SingleNodeLauncher(), workerInit: '', schedulerOptions: '',
    }, { queue: optionalText, account: optionalText, selectOptions: optionalText, cpusPerNode: positiveIntegerCheck });
    this.queue = options.queue;
    this.account = options.account;
    this.selectOptions = options.selectOptions ?? '';
    this.cpusPerNode = options.cpusPerNode ?? 1;
  }

  protected directives(request: SubmitRequest): string[] {
    const select = `select=${request.nodesPerBlock}:ncpus=${this.cpusPerNode}${this.selectOptions ? `:${this.selectOptions}` : ''}`;
    const lines = ['#PBS -S /bin/bash', `#PBS -N ${request.jobName.slice(0, 230)}`, '#PBS -m n', `#PBS -l ${select}`,
      `#PBS -o ${request.stdoutPath}`, `#PBS -e ${request.stderrPath}`];
    if (request.walltimeSeconds !== undefined) lines.push(`#PBS -l walltime=${formatWalltime(request.walltimeSeconds)}`);
    if (this.queue) lines.push(`#PBS -q ${this.queue}`);
    if (this.account) lines.push(`#PBS -A ${this.account}`);
    return lines;
  }

  protected async queryStatus(jobIds: string[]): Promise<Map<string, SchedulerJobStatus>> {
    return this.parseStatus(await this.qstat(['qstat', '-f', '-F', 'json', '-x', ...jobIds]));
  }

  protected parseStatus(stdout: string): Map<string, SchedulerJobStatus> {
    const found = new Map<string, SchedulerJobStatus>();
    if (stdout.trim() === '') return found;
    const parsed = JSON.parse(stdout) as QstatJson;
    for (const [id, job] of Object.entries(parsed.Jobs ?? {})) {
      const name = job.job_state ?? '?';
      const ended = name === 'F' || name === 'X' ? pbsEndedState(job.Exit_status) : undefined;
      found.set(id, {
        state: ended?.state ?? mapState(PBS_STATES, name), schedulerState: name,
        reason: ended?.reason ?? job.comment, exitCode: job.Exit_status || undefined,
      });
    }
    return found;
  }
}
