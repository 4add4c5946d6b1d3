/**
 * GridEngineProvider (Parsl's `GridEngineProvider`): each block is a `qsub -terse` job
 * (`#$` directives); states from one `qstat` per poll. A job no longer listed has ended:
 * Grid Engine keeps finished jobs only in its accounting (`qacct`).
 */
import { SchedulerCommandError } from '../errors.js';
import { SingleNodeLauncher } from './launchers/single-node.js';
import type { Launcher } from './launchers/launcher.js';
import {
  ClusterProvider, formatWalltime, optionalText,
  type ClusterProviderOptions, type SchedulerJobStatus, type SubmitRequest,
} from './cluster.js';
import type { JobState } from './provider.js';

export interface GridEngineProviderOptions extends ClusterProviderOptions {
  /** Queue (`-q`). Default: any queue. */
  queue?: string;
  /** Parallel environment for several slots or nodes (`-pe <pe> <nodes × tasks per node>`). Default: none. */
  pe?: string;
  /** Block walltime `'HH:MM:SS'` (`-l h_rt`). Default `'00:10:00'`. */
  walltime?: string;
  /** Extra `#$` lines, verbatim, after the provider's own. */
  schedulerOptions?: string;
  /** Default `new SingleNodeLauncher()`. */
  launcher?: Launcher;
}

/**
 * Grid Engine's state letters combine (`qw`, `hqw`, `Eqw`, `dr`, `Rr`): the most telling
 * letter decides. `d` (being deleted) and `E` (error) first, then hold, suspend, run, wait.
 */
export function gridEngineState(letters: string): JobState {
  if (letters.includes('E')) return 'failed';
  if (letters.includes('d')) return 'cancelled';
  if (letters.includes('h') || /[sST]/.test(letters)) return 'held';
  if (/[rtR]/.test(letters)) return 'running';
  if (letters.includes('q') || letters.includes('w')) return 'pending';
  return 'unknown';
}

/** Reads the `qstat` table (`job-ID prior name user state submit/start at queue slots ja-task-ID`). */
export function parseGridEngineQstat(stdout: string): Map<string, SchedulerJobStatus> {
  const found = new Map<string, SchedulerJobStatus>();
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !/^\d+$/.test(fields[0]!)) continue;
    found.set(fields[0]!, { state: gridEngineState(fields[4]!), schedulerState: fields[4]! });
  }
  return found;
}

export class GridEngineProvider extends ClusterProvider {
  readonly label = 'sge';
  protected readonly providerName = 'GridEngineProvider';
  readonly queue: string | undefined;
  readonly pe: string | undefined;
  /** One `qstat` lists every job: no need to split the ids. */
  protected override readonly statusBatchSize = Number.MAX_SAFE_INTEGER;

  constructor(options: GridEngineProviderOptions = {}) {
    super('GridEngineProvider', options, {
      initBlocks: 1, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, parallelism: 1, walltime: '00:10:00',
      launcher: () => new SingleNodeLauncher(), workerInit: '', schedulerOptions: '',
    }, { queue: optionalText, pe: optionalText });
    this.queue = options.queue;
    this.pe = options.pe;
  }

  protected directives(request: SubmitRequest): string[] {
    const lines = ['#$ -S /bin/bash', `#$ -N ${request.jobName}`, `#$ -o ${request.stdoutPath}`, `#$ -e ${request.stderrPath}`, '#$ -V'];
    if (request.walltimeSeconds !== undefined) lines.push(`#$ -l h_rt=${formatWalltime(request.walltimeSeconds)}`);
    if (this.queue) lines.push(`#$ -q ${this.queue}`);
    if (this.pe) lines.push(`#$ -pe ${this.pe} ${request.nodesPerBlock * request.tasksPerNode}`);
    return lines;
  }

  protected async submitScript(request: SubmitRequest): Promise<string> {
    const result = await this.run(['qsub', '-terse', request.scriptPath]);
    const jobId = result.stdout.trim().split('\n').pop()?.trim().split('.')[0] ?? '';
    if (!/^\d+$/.test(jobId)) throw new SchedulerCommandError(`qsub -terse ${request.scriptPath}`, 0, result.stderr, `printed no job id (stdout: ${JSON.stringify(result.stdout.trim())})`);
    return jobId;
  }

  protected async queryStatus(_jobIds: string[]): Promise<Map<string, SchedulerJobStatus>> {
    // qstat lists every job of this user in one call; ids not listed have ended.
    return parseGridEngineQstat((await this.run(['qstat'])).stdout);
  }

  protected async cancelJobs(jobIds: string[]): Promise<boolean[]> {
    const result = await this.run(['qdel', ...jobIds], { allowFailure: true });
    const text = `${result.stdout}\n${result.stderr}`;
    // qdel answers per job: "root has registered the job 12 for deletion", "denied: job \"12\" does not exist".
    return jobIds.map((id) => result.exitCode === 0 || new RegExp(`job "?${id}"? (for deletion|does not exist)|deleted job ${id}`).test(text));
  }
}
