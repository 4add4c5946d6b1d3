/**
 * LSFProvider (Parsl's `LSFProvider`): each block is a `bsub` job; states from one `bjobs -a`
 * per poll, read so that wrapped lines (several execution hosts) do not confuse it.
 */
import { SchedulerCommandError } from '../errors.js';
import { SingleNodeLauncher } from './launchers/single-node.js';
import type { Launcher } from './launchers/launcher.js';
import {
  ClusterProvider, mapState, optionalBoolean, optionalText, positiveIntegerCheck, walltimeMinutes,
  type ClusterProviderOptions, type SchedulerJobStatus, type SubmitRequest,
} from './cluster.js';
import type { JobState } from './provider.js';

export interface LSFProviderOptions extends ClusterProviderOptions {
  /** Queue (`-q`). Default: the cluster's default queue. */
  queue?: string;
  /** Project charged (`-P`). Default: none. */
  project?: string;
  /** Cores per node: asks `-n nodes×cores` with `span[ptile=cores]`; without it, `-nnodes`. Default: none. */
  coresPerNode?: number;
  /** Submit with `bsub < script` (some sites need the script on stdin) instead of `bsub script`. Default false. */
  bsubRedirection?: boolean;
  /** Block walltime `'HH:MM:SS'` (`-W`, in minutes). Default `'00:10:00'`. */
  walltime?: string;
  /** Extra `#BSUB` lines, verbatim, after the provider's own. */
  schedulerOptions?: string;
  /** Default `new SingleNodeLauncher()`; `JsrunLauncher` on IBM systems. */
  launcher?: Launcher;
}

/** LSF job states (`STAT`). */
export const LSF_STATES: Readonly<Record<string, JobState>> = {
  PEND: 'pending', WAIT: 'pending', PROV: 'pending',
  PSUSP: 'held', USUSP: 'held', SSUSP: 'held',
  RUN: 'running', DONE: 'completed', EXIT: 'failed', ZOMBI: 'failed', UNKWN: 'unknown',
};

/**
 * Reads `bjobs` table lines (`JOBID USER STAT QUEUE …`). A job on several hosts continues on
 * lines that start with blanks: those are skipped, only lines that start with a job id count.
 */
export function parseBjobs(stdout: string): Map<string, SchedulerJobStatus> {
  const found = new Map<string, SchedulerJobStatus>();
  for (const line of stdout.split('\n')) {
    if (!/^\d/.test(line)) continue;
    const [id, , stat] = line.trim().split(/\s+/);
    if (!id || !stat) continue;
    found.set(id, { state: mapState(LSF_STATES, stat), schedulerState: stat });
  }
  return found;
}

export class LSFProvider extends ClusterProvider {
  readonly label = 'lsf';
  protected readonly providerName = 'LSFProvider';
  readonly queue: string | undefined;
  readonly project: string | undefined;
  readonly coresPerNode: number | undefined;
  readonly bsubRedirection: boolean;

  constructor(options: LSFProviderOptions = {}) {
    super('LSFProvider', options, {
      initBlocks: 1, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, parallelism: 1, walltime: '00:10:00',
      launcher: () => new SingleNodeLauncher(), workerInit: '', schedulerOptions: '',
    }, { queue: optionalText, project: optionalText, coresPerNode: positiveIntegerCheck, bsubRedirection: optionalBoolean });
    this.queue = options.queue;
    this.project = options.project;
    this.coresPerNode = options.coresPerNode;
    this.bsubRedirection = options.bsubRedirection ?? false;
  }

  protected directives(request: SubmitRequest): string[] {
    const lines = [`#BSUB -J ${request.jobName}`, `#BSUB -o ${request.stdoutPath}`, `#BSUB -e ${request.stderrPath}`];
    if (request.walltimeSeconds !== undefined) lines.push(`#BSUB -W ${walltimeMinutes(request.walltimeSeconds)}`);
    if (this.coresPerNode !== undefined) {
      lines.push(`#BSUB -n ${request.nodesPerBlock * this.coresPerNode}`, `#BSUB -R "span[ptile=${this.coresPerNode}]"`);
    } else {
      lines.push(`#BSUB -nnodes ${request.nodesPerBlock}`);
    }
    if (this.queue) lines.push(`#BSUB -q ${this.queue}`);
    if (this.project) lines.push(`#BSUB -P ${this.project}`);
    return lines;
  }

  protected async submitScript(request: SubmitRequest): Promise<string> {
    // `bsub < script` reads the #BSUB lines from stdin: run it through a shell.
    const argv = this.bsubRedirection ? ['sh', '-c', `exec bsub < '${request.scriptPath.replace(/'/g, `'\\''`)}'`] : ['bsub', request.scriptPath];
    const result = await this.run(argv);
    const match = /Job <(\d+)> is submitted/.exec(result.stdout);
    if (!match) throw new SchedulerCommandError(argv.join(' '), 0, result.stderr, `printed no job id (stdout: ${JSON.stringify(result.stdout.trim())})`);
    return match[1]!;
  }

  protected async queryStatus(jobIds: string[]): Promise<Map<string, SchedulerJobStatus>> {
    const result = await this.run(['bjobs', '-a', ...jobIds], { allowFailure: true });
    // Purged ids: "Job <12> is not found" on stderr and exit 255; the others are still listed.
    const other = result.stderr.split('\n').filter((l) => l.trim() && !/is not found/.test(l));
    if (result.exitCode !== 0 && other.length > 0) {
      throw new SchedulerCommandError(`bjobs -a ${jobIds.join(' ')}`, result.exitCode, result.stderr, `exited with code ${result.exitCode}`);
    }
    return parseBjobs(result.stdout);
  }

  protected async cancelJobs(jobIds: string[]): Promise<boolean[]> {
    const result = await this.run(['bkill', ...jobIds], { allowFailure: true });
    const lines = `${result.stdout}\n${result.stderr}`.split('\n');
    // bkill answers per job: "Job <12> is being terminated", "Job has already finished", "No matching job found".
    return jobIds.map((id) => lines.some((l) => l.includes(`<${id}>`) && /being terminated|already finished|not found/.test(l)) || result.exitCode === 0);
  }
}
