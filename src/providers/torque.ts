/**
 * TorqueProvider (Parsl's `TorqueProvider`): each block is a `qsub` job asking for
 * `nodes=<n>:ppn=<tasks per node>`; states from one `qstat -f` per poll (the full format
 * keeps long job ids whole, where the table cuts them).
 */
import { SingleNodeLauncher } from './launchers/single-node.js';
import type { Launcher } from './launchers/launcher.js';
import { formatWalltime, mapState, optionalText, type ClusterProviderOptions, type SchedulerJobStatus, type SubmitRequest } from './cluster.js';
import { PBS_STATES, PbsFamilyProvider, pbsEndedState } from './pbs.js';

export interface TorqueProviderOptions extends ClusterProviderOptions {
  /** Queue (`-q`). Default: the server's default queue. */
  queue?: string;
  /** Account charged (`-A`). Default: none. */
  account?: string;
  /** Block walltime `'HH:MM:SS'` (`-l walltime`). Default `'00:20:00'`. */
  walltime?: string;
  /** Extra `#PBS` lines, verbatim, before the provider's own (the first wins). */
  schedulerOptions?: string;
  /** Default `new SingleNodeLauncher()`. */
  launcher?: Launcher;
}

/** Reads `qstat -f` blocks: `Job Id: 12.server` then indented `key = value` lines. */
export function parseQstatFull(stdout: string): Map<string, Record<string, string>> {
  const jobs = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^Job Id:\s*(\S+)/.exec(line);
    if (head) {
      current = {};
      jobs.set(head[1]!, current);
      continue;
    }
    const pair = /^\s+([\w.]+) = (.*)$/.exec(line);
    if (pair && current) current[pair[1]!] = pair[2]!.trim();
  }
  return jobs;
}

export class TorqueProvider extends PbsFamilyProvider {
  readonly label = 'torque';
  protected readonly providerName = 'TorqueProvider';
  readonly queue: string | undefined;
  readonly account: string | undefined;

  constructor(options: TorqueProviderOptions = {}) {
    super('TorqueProvider', options, {
      initBlocks: 1, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, parallelism: 1, walltime: '00:20:00',
      launcher: () => new SingleNodeLauncher(), workerInit: '', schedulerOptions: '',
    }, { queue: optionalText, account: optionalText });
    this.queue = options.queue;
    this.account = options.account;
  }

  protected directives(request: SubmitRequest): string[] {
    const lines = ['#PBS -S /bin/bash', `#PBS -N ${request.jobName.slice(0, 230)}`, '#PBS -m n',
      `#PBS -l nodes=${request.nodesPerBlock}:ppn=${request.tasksPerNode}`, `#PBS -o ${request.stdoutPath}`, `#PBS -e ${request.stderrPath}`];
    if (request.walltimeSeconds !== undefined) lines.push(`#PBS -l walltime=${formatWalltime(request.walltimeSeconds)}`);
    if (this.queue) lines.push(`#PBS -q ${this.queue}`);
    if (this.account) lines.push(`#PBS -A ${this.account}`);
    return lines;
  }

  protected async queryStatus(jobIds: string[]): Promise<Map<string, SchedulerJobStatus>> {
    return this.parseStatus(await this.qstat(['qstat', '-f', ...jobIds]));
  }

  protected parseStatus(stdout: string): Map<string, SchedulerJobStatus> {
    const found = new Map<string, SchedulerJobStatus>();
    for (const [id, fields] of parseQstatFull(stdout)) {
      const name = fields['job_state'] ?? '?';
      const exit = fields['exit_status'] === undefined ? undefined : Number(fields['exit_status']);
      const ended = name === 'C' ? pbsEndedState(exit) : undefined;
      found.set(id, { state: ended?.state ?? mapState(PBS_STATES, name), schedulerState: name, reason: ended?.reason, exitCode: exit || undefined });
    }
    return found;
  }
}
