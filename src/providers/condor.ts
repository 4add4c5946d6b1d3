/**
 * CondorProvider (Parsl's `CondorProvider`): each block is an HTCondor job (a submit
 * description next to the block's script, `condor_submit`); states from one `condor_q`
 * per poll. A job that left the queue has ended (HTCondor keeps only its history).
 */
import { writeFileSync } from 'node:fs';
import { SchedulerCommandError } from '../errors.js';
import { SingleNodeLauncher } from './launchers/single-node.js';
import type { Launcher } from './launchers/launcher.js';
import {
  ClusterProvider, mapState, optionalText, positiveIntegerCheck,
  type ClusterProviderOptions, type SchedulerJobStatus, type SubmitRequest,
} from './cluster.js';
import type { JobState } from './provider.js';

export interface CondorProviderOptions extends ClusterProviderOptions {
  /** ClassAd expression machines must satisfy (`requirements`). Default: none. */
  requirements?: string;
  /** CPUs per slot (`request_cpus`). Default 1. */
  coresPerSlot?: number;
  /** MB of memory per slot (`request_memory`). Default: none asked. */
  memPerSlot?: number;
  /** Block walltime `'HH:MM:SS'`: a running job older than this is removed (`periodic_remove`). Default `'00:10:00'`. */
  walltime?: string;
  /** Extra submit description lines, verbatim, before `queue`. */
  schedulerOptions?: string;
  /** Default `new SingleNodeLauncher()`. */
  launcher?: Launcher;
}

/** HTCondor `JobStatus` numbers. */
export const CONDOR_STATES: Readonly<Record<string, JobState>> = {
  1: 'pending', 2: 'running', 3: 'cancelled', 4: 'completed', 5: 'held', 6: 'running', 7: 'held',
};
const CONDOR_NAMES: Readonly<Record<string, string>> = {
  1: 'Idle', 2: 'Running', 3: 'Removed', 4: 'Completed', 5: 'Held', 6: 'Transferring Output', 7: 'Suspended',
};

/** Reads `condor_q -af:jr JobStatus HoldReason` lines (`12.0 5 "reason"`); job ids are cluster numbers. */
export function parseCondorQ(stdout: string): Map<string, SchedulerJobStatus> {
  const found = new Map<string, SchedulerJobStatus>();
  for (const line of stdout.split('\n')) {
    const match = /^(\d+)\.\d+\s+(\d+)(?:\s+(.*))?$/.exec(line.trim());
    if (!match) continue;
    const [, cluster, status, hold] = match;
    const reason = hold && hold !== 'undefined' ? hold.replace(/^"|"$/g, '') : undefined;
    found.set(cluster!, { state: mapState(CONDOR_STATES, status!), schedulerState: CONDOR_NAMES[status!] ?? status!, reason });
  }
  return found;
}

export class CondorProvider extends ClusterProvider {
  readonly label = 'condor';
  protected readonly providerName = 'CondorProvider';
  readonly requirements: string | undefined;
  readonly coresPerSlot: number;
  readonly memPerSlot: number | undefined;

  constructor(options: CondorProviderOptions = {}) {
    super('CondorProvider', options, {
      initBlocks: 1, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, parallelism: 1, walltime: '00:10:00',
      launcher: () => new SingleNodeLauncher(), workerInit: '', schedulerOptions: '',
    }, { requirements: optionalText, coresPerSlot: positiveIntegerCheck, memPerSlot: positiveIntegerCheck });
    this.requirements = options.requirements;
    this.coresPerSlot = options.coresPerSlot ?? 1;
    this.memPerSlot = options.memPerSlot;
  }

  /** The shell script carries no directives: they go in the submit description. */
  protected directives(): string[] {
    return [];
  }

  /** schedulerOptions belong in the submit description, not in the shell script. */
  protected override readonly schedulerOptionsInScript = false;

  /** The submit description for one block. */
  submitDescription(request: SubmitRequest): string {
    const lines = [
      'universe = vanilla',
      `executable = ${request.scriptPath}`,
      `output = ${request.stdoutPath}`,
      `error = ${request.stderrPath}`,
      `log = ${request.scriptPath.replace(/\.submit$/, '.log')}`,
      'getenv = true',
      'should_transfer_files = NO',
      `request_cpus = ${this.coresPerSlot}`,
      'leave_in_queue = false',
    ];
    if (this.memPerSlot !== undefined) lines.push(`request_memory = ${this.memPerSlot}`);
    if (this.requirements) lines.push(`requirements = ${this.requirements}`);
    if (request.walltimeSeconds !== undefined) lines.push(`periodic_remove = JobStatus == 2 && (time() - EnteredCurrentStatus) > ${request.walltimeSeconds}`);
    lines.push(...this.schedulerOptions.split('\n').map((l) => l.trim()).filter(Boolean), 'queue 1', '');
    return lines.join('\n');
  }

  protected async submitScript(request: SubmitRequest): Promise<string> {
    const descriptionPath = request.scriptPath.replace(/\.submit$/, '.condor');
    writeFileSync(descriptionPath, this.submitDescription(request));
    const result = await this.run(['condor_submit', descriptionPath]);
    const match = /submitted to cluster (\d+)/.exec(result.stdout);
    if (!match) throw new SchedulerCommandError(`condor_submit ${descriptionPath}`, 0, result.stderr, `printed no cluster id (stdout: ${JSON.stringify(result.stdout.trim())})`);
    return match[1]!;
  }

  protected async queryStatus(jobIds: string[]): Promise<Map<string, SchedulerJobStatus>> {
    const result = await this.run(['condor_q', ...jobIds, '-af:jr', 'JobStatus', 'HoldReason']);
    return parseCondorQ(result.stdout);
  }

  protected async cancelJobs(jobIds: string[]): Promise<boolean[]> {
    const result = await this.run(['condor_rm', ...jobIds], { allowFailure: true });
    const text = `${result.stdout}\n${result.stderr}`;
    // condor_rm answers per cluster: "All jobs in cluster 12 have been marked for removal" or "Couldn't find/remove all jobs in cluster 12".
    return jobIds.map((id) => result.exitCode === 0 || new RegExp(`cluster ${id} have been marked`).test(text));
  }
}
