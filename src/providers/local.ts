/**
 * LocalProvider (Parsl's `LocalProvider`): each block is a process group on this machine
 * running a submit script (`workerInit`, then the launcher-wrapped command) with stdout and
 * stderr in files next to it, under `<runDir>/submit_scripts/`. Blocks run in the driver's
 * working directory (as Parsl's do), so relative paths in tasks mean what they mean on the
 * driver. Cancelling a block ends the whole group; so does its walltime, when one is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { groupHasLiveProcess } from '../util/processes.js';
import { SingleNodeLauncher } from './launchers/single-node.js';
import type { Launcher } from './launchers/launcher.js';
import { positiveNumberCheck, resolveProviderOptions, walltimeSeconds } from './options.js';
import { walltimeDrainMargin } from './walltime-drain.js';
import type { ExecutionProvider, JobStatus, ProviderContext, ProviderOptions } from './provider.js';

export interface LocalProviderOptions extends ProviderOptions {
  /** Blocks started when the executor starts. Default 1. */
  initBlocks?: number;
  /** Blocks the strategy keeps even when idle. Default 0. */
  minBlocks?: number;
  /** Most blocks at once. Default 1. */
  maxBlocks?: number;
  /** Nodes per block; on one machine, the launcher starts that many more copies. Default 1. */
  nodesPerBlock?: number;
  /** Fraction of outstanding tasks to provision slots for (0–1). Default 1. */
  parallelism?: number;
  /**
   * A block running longer than this ('HH:MM:SS') is ended and reported `timeout` (not
   * failed). Default: none, a local block runs until it is cancelled or ends on its own.
   */
  walltime?: string;
  /** Wraps the command for the block's copies. Default `new SingleNodeLauncher()`. */
  launcher?: Launcher;
  /** Shell lines run before the command in the submit script. Default ''. */
  workerInit?: string;
  /** Seconds to wait for a block's process to start before giving up. Default 30. */
  cmdTimeout?: number;
  /** Milliseconds between the executor's status polls. Default 1000. */
  statusPollingInterval?: number;
  /** Seconds between SIGTERM and SIGKILL when a block is cancelled. Default 2. */
  cancelGrace?: number;
}

interface LocalJob {
  jobId: string;
  child: ChildProcess;
  pgid: number;
  scriptPath: string;
  stdoutPath: string;
  stderrPath: string;
  exited: Promise<void>;
  exitCode: number | null | undefined;
  signal: NodeJS.Signals | null | undefined;
  /** Why we ended it, if we did ('cancelled', 'walltime'). */
  endedBy?: 'cancelled' | 'walltime';
  walltimeTimer: NodeJS.Timeout | undefined;
  /** Milliseconds since the epoch. */
  startedAt: number;
  endedAt?: number;
}

/** Live groups of every LocalProvider, killed if the driver exits without cleanup. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
}

/**
 * Whether any non-zombie process is left in group `pgid`. Zombies count as gone: an exited
 * grandchild whose reaper is slow can do no more harm.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return groupHasLiveProcess(pgid);
}

const delay = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export class LocalProvider implements ExecutionProvider {
  readonly label = 'local';
  readonly initBlocks: number;
  readonly minBlocks: number;
  readonly maxBlocks: number;
  readonly nodesPerBlock: number;
  readonly parallelism: number;
  readonly walltime: string | undefined;
  readonly launcher: Launcher;
  readonly workerInit: string;
  readonly cmdTimeout: number;
  readonly statusPollingInterval: number;
  readonly cancelGrace: number;

  #scriptDir: string | undefined;
  #logger: Logger | undefined;
  #jobs = new Map<string, LocalJob>();
  #submitted = 0;

  constructor(options: LocalProviderOptions = {}) {
    const resolved = resolveProviderOptions('LocalProvider', options, {
      initBlocks: 1, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, parallelism: 1, walltime: undefined,
      launcher: () => new SingleNodeLauncher(), workerInit: '', schedulerOptions: '',
    }, { cmdTimeout: positiveNumberCheck, statusPollingInterval: positiveNumberCheck, cancelGrace: (v) => (typeof v === 'number' && v >= 0 ? undefined : 'a non-negative number') });
    this.initBlocks = resolved.initBlocks;
    this.minBlocks = resolved.minBlocks;
    this.maxBlocks = resolved.maxBlocks;
    this.nodesPerBlock = resolved.nodesPerBlock;
    this.parallelism = resolved.parallelism;
    this.walltime = resolved.walltime;
    this.launcher = resolved.launcher;
    this.workerInit = resolved.workerInit;
    this.cmdTimeout = options.cmdTimeout ?? 30;
    this.statusPollingInterval = options.statusPollingInterval ?? 1000;
    this.cancelGrace = options.cancelGrace ?? 2;
  }

  start(context: ProviderContext): void {
    this.#scriptDir = resolve(context.runDir, 'submit_scripts');
    this.#logger = context.logger;
    mkdirSync(this.#scriptDir, { recursive: true });
  }

  /** Where submit scripts and block output go (after `start`). */
  get scriptDir(): string | undefined {
    return this.#scriptDir;
  }

  async submit(command: string, tasksPerNode: number, jobName: string): Promise<string> {
    if (this.#scriptDir === undefined) {
      throw new ConfigurationError('LocalProvider.submit called before start(): the executor starts its provider first');
    }
    const name = `${jobName}.${Date.now()}.${this.#submitted++}`.replace(/[^\w.-]/g, '_');
    const scriptPath = join(this.#scriptDir, `${name}.sh`);
    const stdoutPath = join(this.#scriptDir, `${name}.stdout`);
    const stderrPath = join(this.#scriptDir, `${name}.stderr`);
    const script = [
      '#!/bin/bash',
      `# parsl-ts LocalProvider block ${jobName}, ${tasksPerNode} task(s) per node, ${this.nodesPerBlock} node(s)`,
      `export JOBNAME=${name}`,
      this.workerInit,
      command,
      '',
    ].join('\n');
    writeFileSync(scriptPath, script, { mode: 0o755 });

    const stdoutFd = openSync(stdoutPath, 'w');
    const stderrFd = openSync(stderrPath, 'w');
    let child: ChildProcess;
    try {
      // detached: the block leads its own process group, so cancel can end all of it.
      // cwd: the driver's, so that tasks resolve relative paths as they would on threads.
      child = spawn('bash', [scriptPath], { cwd: process.cwd(), detached: true, stdio: ['ignore', stdoutFd, stderrFd] });
    } finally {
      closeSync(stdoutFd);
      closeSync(stderrFd);
    }
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`block process did not start within ${this.cmdTimeout} s`)), this.cmdTimeout * 1000);
      child.once('spawn', () => { clearTimeout(timer); ok(); });
      child.once('error', (error) => { clearTimeout(timer); fail(error); });
    });
    const pid = child.pid!;
    const jobId = String(pid);
    const job: LocalJob = {
      jobId, child, pgid: pid, scriptPath, stdoutPath, stderrPath,
      exitCode: undefined, signal: undefined, walltimeTimer: undefined, startedAt: Date.now(),
      exited: new Promise((done) => child.once('exit', (code, signal) => {
        job.endedAt = Date.now();
        job.exitCode = code;
        job.signal = signal;
        clearTimeout(job.walltimeTimer);
        if (!processGroupAlive(pid)) liveGroups.delete(pid);
        done();
      })),
    };
    child.unref(); // a forgotten block must not keep the driver alive; the exit hook ends it
    liveGroups.add(pid);
    installExitHook();
    const walltime = this.walltime === undefined ? 0 : walltimeSeconds(this.walltime);
    if (walltime > 0) {
      job.walltimeTimer = setTimeout(() => {
        this.#logger?.info(`LocalProvider: block ${jobName} (pid ${pid}) reached its walltime ${this.walltime}; ending it`);
        void this.#end(job, 'walltime');
      }, walltime * 1000);
      job.walltimeTimer.unref();
    }
    this.#jobs.set(jobId, job);
    this.#logger?.debug(`LocalProvider: block ${jobName} started as pid ${pid}, script ${scriptPath}`);
    return jobId;
  }

  async status(jobIds: string[]): Promise<JobStatus[]> {
    return jobIds.map((jobId) => this.#status(jobId));
  }

  #status(jobId: string): JobStatus {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return { state: 'missing', message: `no block with job id ${jobId} was started by this provider` };
    const paths = { stdoutPath: job.stdoutPath, stderrPath: job.stderrPath };
    if (job.endedBy === 'cancelled') return { state: 'cancelled', ...paths };
    if (job.exitCode === undefined) {
      return job.endedBy === 'walltime' ? { state: 'running', message: 'ending: walltime reached', ...paths } : { state: 'running', ...paths };
    }
    if (job.endedBy === 'walltime') return { state: 'timeout', message: `walltime ${this.walltime} reached`, ...paths };
    if (job.exitCode === 0 && this.#drainedForWalltime(job)) {
      return { state: 'timeout', exitCode: 0, message: `walltime ${this.walltime} reached: the block drained and ended just before it`, ...paths };
    }
    if (job.exitCode === 0) return { state: 'completed', exitCode: 0, ...paths };
    if (job.exitCode !== null) return { state: 'failed', exitCode: job.exitCode, message: `block exited with code ${job.exitCode}`, ...paths };
    return { state: 'failed', message: `block killed by signal ${job.signal}`, ...paths };
  }

  /**
   * Whether a block that ended on its own did so in the last moments of its walltime, when
   * an HTEX manager stops taking tasks and exits once they are done: the walltime ended it,
   * as if we had (the same state whichever came first).
   */
  #drainedForWalltime(job: LocalJob): boolean {
    if (this.walltime === undefined || job.endedAt === undefined) return false;
    const walltime = walltimeSeconds(this.walltime);
    return walltime > 0 && (job.endedAt - job.startedAt) / 1000 >= walltime - walltimeDrainMargin(walltime);
  }

  async cancel(jobIds: string[]): Promise<boolean[]> {
    return Promise.all(jobIds.map(async (jobId) => {
      const job = this.#jobs.get(jobId);
      if (job === undefined) return false;
      await this.#end(job, 'cancelled');
      return true;
    }));
  }

  /** SIGTERM to the whole group, SIGKILL after the grace, then wait for the leader's exit. */
  async #end(job: LocalJob, reason: 'cancelled' | 'walltime'): Promise<void> {
    if (job.endedBy === undefined && job.exitCode === undefined) job.endedBy = reason;
    else if (reason === 'cancelled' && job.exitCode === undefined) job.endedBy = 'cancelled';
    clearTimeout(job.walltimeTimer);
    job.child.ref(); // keep the driver alive until the block is reaped
    const signal = (name: NodeJS.Signals) => {
      try { process.kill(-job.pgid, name); } catch { /* group already gone */ }
    };
    if (processGroupAlive(job.pgid)) {
      signal('SIGTERM');
      const deadline = Date.now() + this.cancelGrace * 1000;
      while (processGroupAlive(job.pgid) && Date.now() < deadline) await delay(25);
      if (processGroupAlive(job.pgid)) {
        this.#logger?.warn(`LocalProvider: block pid ${job.pgid} ignored SIGTERM for ${this.cancelGrace} s; sending SIGKILL`);
        signal('SIGKILL');
      }
    }
    await job.exited;
    liveGroups.delete(job.pgid);
  }

  /** Ends every block still running. */
  async shutdown(): Promise<void> {
    const live = [...this.#jobs.values()].filter((job) => job.exitCode === undefined || processGroupAlive(job.pgid));
    await Promise.all(live.map((job) => this.#end(job, 'cancelled')));
  }
}
