/**
 * What every batch-scheduler provider shares (Parsl's `ClusterProvider`): writing the submit
 * script under `<runDir>/submit_scripts/`, running the scheduler's commands with a timeout
 * and errors that carry the scheduler's own words, polling the state of every block in a
 * few batched calls, and mapping the scheduler's state names onto parsl-ts's. Each
 * scheduler (slurm.ts, pbspro.ts, …) supplies only its directives and its three commands.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigurationError, SchedulerCommandError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import type { Launcher } from './launchers/launcher.js';
import { positiveNumberCheck, resolveProviderOptions, walltimeSeconds, type ResolvedProviderOptions } from './options.js';
import type { ExecutionProvider, JobState, JobStatus, ProviderContext, ProviderOptions } from './provider.js';

/** Options every cluster provider takes besides the common ones. */
export interface ClusterProviderOptions extends ProviderOptions {
  /** Seconds a scheduler command (submit, status, cancel) may take before it counts as failed. Default 10. */
  cmdTimeout?: number;
  /** Milliseconds between the executor's status polls. Default 30000. */
  statusPollingInterval?: number;
}

type Check = (value: unknown) => string | undefined;

export const optionalText: Check = (v) => (typeof v === 'string' ? undefined : 'a string');
export const optionalBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
export const positiveIntegerCheck: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : 'a positive integer');

/** The result of one scheduler command. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Quotes `text` for a POSIX shell when it needs it. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `argv` (no shell) with a deadline. A command that exits non-zero, cannot start or
 * outlives `timeoutSeconds` is a SchedulerCommandError naming it, its exit code and its
 * stderr, unless `allowFailure` (then the caller reads the exit code itself).
 */
export function runCommand(argv: string[], timeoutSeconds: number, { allowFailure = false, env }: { allowFailure?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  const shown = argv.map(shellQuote).join(' ');
  return new Promise((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(new SchedulerCommandError(shown, null, '', `could not run: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        fail(new SchedulerCommandError(shown, null, stderr, `did not finish within ${timeoutSeconds} s (cmdTimeout); killed`));
        return;
      }
      const exitCode = code ?? 128;
      if (exitCode !== 0 && !allowFailure) {
        fail(new SchedulerCommandError(shown, exitCode, stderr, signal ? `was killed by ${signal}` : `exited with code ${exitCode}`));
        return;
      }
      done({ stdout, stderr, exitCode });
    });
  });
}

/** Everything a scheduler needs to write one block's submit script. */
export interface SubmitRequest {
  /** Unique name of this block's job (also the file names' stem). */
  jobName: string;
  scriptPath: string;
  stdoutPath: string;
  stderrPath: string;
  scriptDir: string;
  tasksPerNode: number;
  nodesPerBlock: number;
  /** Walltime in seconds, or undefined. */
  walltimeSeconds: number | undefined;
  walltime: string | undefined;
}

/** A status line read from the scheduler, before parsl-ts adds the file paths. */
export interface SchedulerJobStatus {
  state: JobState;
  /** The scheduler's own state name (`PENDING`, `R`, `RUN`, …). */
  schedulerState: string;
  /** Why the job waits or ended, in the scheduler's words (`Resources`, `Priority`, …). */
  reason?: string;
  exitCode?: number;
}

/** Maps a scheduler's state name through `table`; names missing from it become 'unknown'. */
export function mapState(table: Readonly<Record<string, JobState>>, name: string): JobState {
  return table[name] ?? 'unknown';
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface JobRecord {
  stdoutPath: string;
  stderrPath: string;
}

export abstract class ClusterProvider implements ExecutionProvider {
  abstract readonly label: string;
  /** The class name, for messages. */
  protected abstract readonly providerName: string;
  readonly initBlocks: number;
  readonly minBlocks: number;
  readonly maxBlocks: number;
  readonly nodesPerBlock: number;
  readonly parallelism: number;
  readonly walltime: string | undefined;
  readonly launcher: Launcher;
  readonly workerInit: string;
  readonly schedulerOptions: string;
  readonly cmdTimeout: number;
  readonly statusPollingInterval: number;

  protected logger: Logger | undefined;
  #scriptDir: string | undefined;
  #jobs = new Map<string, JobRecord>();
  #submitted = 0;

  protected constructor(providerName: string, options: ClusterProviderOptions,
    defaults: Omit<ResolvedProviderOptions, 'launcher'> & { launcher: () => Launcher }, extraChecks: Record<string, Check>) {
    const resolved = resolveProviderOptions(providerName, options, defaults,
      { cmdTimeout: positiveNumberCheck, statusPollingInterval: positiveNumberCheck, ...extraChecks });
    this.initBlocks = resolved.initBlocks;
    this.minBlocks = resolved.minBlocks;
    this.maxBlocks = resolved.maxBlocks;
    this.nodesPerBlock = resolved.nodesPerBlock;
    this.parallelism = resolved.parallelism;
    this.walltime = resolved.walltime;
    this.launcher = resolved.launcher;
    this.workerInit = resolved.workerInit;
    this.schedulerOptions = resolved.schedulerOptions;
    this.cmdTimeout = options.cmdTimeout ?? 10;
    this.statusPollingInterval = options.statusPollingInterval ?? 30_000;
  }

  /** Directive lines (`#SBATCH …`, `#PBS …`) for one block, without `schedulerOptions`. */
  protected abstract directives(request: SubmitRequest): string[];
  /** Whether `schedulerOptions` are directive lines of the script (HTCondor puts them in its submit description). */
  protected readonly schedulerOptionsInScript: boolean = true;
  /** Whether `schedulerOptions` go before the default directives (PBS honours the first of two). */
  protected readonly schedulerOptionsFirst: boolean = false;
  /** Lines exported in the script before `workerInit` (e.g. `export PARSL_CORES=4`). */
  protected environment(_request: SubmitRequest): string[] {
    return [];
  }
  /** Submits the written script; returns the scheduler's job id. */
  protected abstract submitScript(request: SubmitRequest): Promise<string>;
  /** States of `jobIds` (one batch); ids the scheduler no longer knows are left out. */
  protected abstract queryStatus(jobIds: string[]): Promise<Map<string, SchedulerJobStatus>>;
  /** Cancels `jobIds`; true for each one the scheduler accepted to cancel. */
  protected abstract cancelJobs(jobIds: string[]): Promise<boolean[]>;
  /** How many job ids one status command takes. */
  protected readonly statusBatchSize: number = 100;

  start(context: ProviderContext): void {
    this.#scriptDir = resolve(context.runDir, 'submit_scripts');
    this.logger = context.logger;
    mkdirSync(this.#scriptDir, { recursive: true });
  }

  /** Where submit scripts and block output go (after `start`). */
  get scriptDir(): string | undefined {
    return this.#scriptDir;
  }

  /** Runs a scheduler command with this provider's `cmdTimeout`. */
  protected run(argv: string[], options: { allowFailure?: boolean } = {}): Promise<CommandResult> {
    this.logger?.debug(`${this.providerName}: running ${argv.map(shellQuote).join(' ')}`);
    return runCommand(argv, this.cmdTimeout, options);
  }

  /** The submit script: directives, then environment, `workerInit`, and the launcher-wrapped command. */
  renderScript(request: SubmitRequest, command: string): string {
    const options = !this.schedulerOptionsInScript ? [] : this.schedulerOptions.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
    const directives = this.directives(request);
    return [
      '#!/bin/bash',
      ...(this.schedulerOptionsFirst ? [...options, ...directives] : [...directives, ...options]),
      `# parsl-ts ${this.providerName} block ${request.jobName}: ${request.nodesPerBlock} node(s), ${request.tasksPerNode} task(s) per node`,
      `export JOBNAME=${shellQuote(request.jobName)}`,
      `export PARSL_SCRIPT_DIR=${shellQuote(request.scriptDir)}`,
      // Blocks run in the driver's working directory (on a shared file system), so relative
      // paths in tasks mean what they mean on the driver.
      `cd ${shellQuote(process.cwd())} || echo "parsl-ts: cannot cd to ${process.cwd()} on $(hostname); staying in $PWD" >&2`,
      ...this.environment(request),
      this.workerInit,
      command,
      '',
    ].join('\n');
  }

  async submit(command: string, tasksPerNode: number, jobName: string): Promise<string> {
    const scriptDir = this.#scriptDir;
    if (scriptDir === undefined) throw new ConfigurationError(`${this.providerName}.submit called before start(): the executor starts its provider first`);
    const name = `${jobName}.${Date.now()}.${this.#submitted++}`.replace(/[^\w.-]/g, '_');
    const scriptPath = join(scriptDir, `${name}.submit`);
    const request: SubmitRequest = {
      jobName: name, scriptPath, scriptDir,
      stdoutPath: join(scriptDir, `${name}.stdout`), stderrPath: join(scriptDir, `${name}.stderr`),
      tasksPerNode, nodesPerBlock: this.nodesPerBlock,
      walltime: this.walltime, walltimeSeconds: this.walltime === undefined ? undefined : walltimeSeconds(this.walltime),
    };
    writeFileSync(scriptPath, this.renderScript(request, command), { mode: 0o755 });
    const jobId = await this.submitScript(request);
    this.#jobs.set(jobId, { stdoutPath: request.stdoutPath, stderrPath: request.stderrPath });
    this.logger?.info(`${this.providerName}: submitted ${scriptPath} as job ${jobId}`);
    return jobId;
  }

  /**
   * One status call per batch of jobs. A job the scheduler no longer lists ended (and was
   * purged) before this poll: it is reported `missing`, never left pending.
   */
  async status(jobIds: string[]): Promise<JobStatus[]> {
    const found = new Map<string, SchedulerJobStatus>();
    for (const batch of chunks(jobIds, this.statusBatchSize)) {
      for (const [id, status] of await this.queryStatus(batch)) found.set(id, status);
    }
    return jobIds.map((jobId) => {
      const paths = this.#jobs.get(jobId) ?? {};
      const seen = found.get(jobId);
      if (seen === undefined) {
        return { state: 'missing', message: `the scheduler no longer lists job ${jobId} (it ended and was purged)`, ...paths };
      }
      if (seen.state === 'unknown') this.logger?.warn(`${this.providerName}: job ${jobId} is in state '${seen.schedulerState}', which parsl-ts does not know`);
      const message = seen.reason ? `${seen.schedulerState} (${seen.reason})` : seen.schedulerState;
      return { ...seen, message, ...paths };
    });
  }

  async cancel(jobIds: string[]): Promise<boolean[]> {
    if (jobIds.length === 0) return [];
    return this.cancelJobs(jobIds);
  }
}

/** `HH:MM:SS` → whole minutes, at least 1 (for schedulers that take minutes). */
export function walltimeMinutes(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}

/** Seconds → `HH:MM:SS`. */
export function formatWalltime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}
