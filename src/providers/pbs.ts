/**
 * What PBS Pro and Torque share: `qsub` prints the job id, `qdel` cancels, and `#PBS`
 * directives where the first of two wins, so `schedulerOptions` go before the defaults.
 */
import { SchedulerCommandError } from '../errors.js';
import { ClusterProvider, type SchedulerJobStatus, type SubmitRequest } from './cluster.js';
import type { JobState } from './provider.js';

/** PBS job states (`job_state`), Torque's included. */
export const PBS_STATES: Readonly<Record<string, JobState>> = {
  Q: 'pending', W: 'pending', T: 'pending', M: 'pending', B: 'running',
  H: 'held', S: 'held', U: 'held',
  R: 'running', E: 'running',
  F: 'completed', X: 'completed', C: 'completed',
};

/** PBS exit statuses of jobs the scheduler ended: walltime (-29 PBS Pro, -11 Torque), qdel (271 = 256 + SIGTERM). */
export function pbsEndedState(exitStatus: number | undefined): { state: JobState; reason?: string } {
  if (exitStatus === undefined || exitStatus === 0) return { state: 'completed' };
  if (exitStatus === -29 || exitStatus === -11) return { state: 'timeout', reason: 'walltime exceeded' };
  if (exitStatus === 271) return { state: 'cancelled', reason: 'deleted' };
  return { state: 'failed', reason: `exit status ${exitStatus}` };
}

export abstract class PbsFamilyProvider extends ClusterProvider {
  protected override readonly schedulerOptionsFirst: boolean = true;

  protected async submitScript(request: SubmitRequest): Promise<string> {
    const result = await this.run(['qsub', request.scriptPath]);
    const jobId = result.stdout.trim().split('\n').pop()?.trim() ?? '';
    if (!/^\d+(\[\])?(\.[\w.-]+)?$/.test(jobId)) {
      throw new SchedulerCommandError(`qsub ${request.scriptPath}`, 0, result.stderr, `printed no job id (stdout: ${JSON.stringify(result.stdout.trim())})`);
    }
    return jobId;
  }

  /** Job ids the scheduler reported unknown (`qstat: Unknown Job Id 12.server`). */
  protected unknownIds(stderr: string): Set<string> {
    return new Set([...stderr.matchAll(/Unknown Job Id(?: Error)? (\S+)/g)].map((m) => m[1]!));
  }

  /** Runs `qstat` and tolerates the non-zero exit that unknown (purged) job ids cause. */
  protected async qstat(argv: string[]): Promise<string> {
    const result = await this.run(argv, { allowFailure: true });
    if (result.exitCode !== 0) {
      const unknown = this.unknownIds(result.stderr);
      const otherLines = result.stderr.split('\n').filter((l) => l.trim() && !/Unknown Job Id/.test(l));
      if (unknown.size === 0 || otherLines.length > 0) {
        throw new SchedulerCommandError(argv.join(' '), result.exitCode, result.stderr, `exited with code ${result.exitCode}`);
      }
    }
    return result.stdout;
  }

  protected abstract parseStatus(stdout: string): Map<string, SchedulerJobStatus>;

  protected async cancelJobs(jobIds: string[]): Promise<boolean[]> {
    const result = await this.run(['qdel', ...jobIds], { allowFailure: true });
    if (result.exitCode === 0) return jobIds.map(() => true);
    this.logger?.warn(`${this.providerName}: qdel exited with code ${result.exitCode}: ${result.stderr.trim()}`);
    // An unknown id has ended already; anything else qdel complains about was not cancelled.
    const unknown = this.unknownIds(result.stderr);
    return jobIds.map((id) => unknown.has(id) || !result.stderr.includes(id));
  }
}
