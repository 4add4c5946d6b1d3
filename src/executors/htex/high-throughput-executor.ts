/**
 * HighThroughputExecutor: Parsl's pilot-job executor. An interchange in the driver's
 * process hands tasks to managers (`parsl-ts worker-pool`, one per node, started in blocks
 * by the provider through its launcher), each running worker processes. See
 * docs/executors.md for the roles, the message flow and why the interchange lives here.
 */
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecutorError } from '../../errors.js';
import { BlockProviderExecutor } from '../block-provider-executor.js';
import { checkResourceSpecification, type ExecutorContext, type ExecutorStatus, type ExecutorTask, type TaskOutcome } from '../executor.js';
import { Interchange, type ManagerInfo } from './interchange.js';
import { resolveHtexOptions, type HighThroughputExecutorOptions, type ResolvedHtexOptions } from './options.js';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol.js';
import { createSelfSignedCertificate, generateSecret, writeSecretFile } from './security.js';
import { cliNodeFlags } from '../../util/own-modules.js';
import type { StagingProvider } from '../../data/staging.js';
import { walltimeSeconds } from '../../providers/options.js';

export type { HighThroughputExecutorOptions } from './options.js';

const CLI_ENTRY = fileURLToPath(new URL('../../../bin/parsl-ts.js', import.meta.url));
/** How long shutdown waits for managers to exit on their own before blocks are cancelled. */
const MANAGER_EXIT_WAIT_MS = 5000;

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** An address the interchange can listen on as is (one IP or localhost; a hostname or a list means every interface). */
function isLoopbackOrIp(address: string): boolean {
  return !address.includes(',') && (/^[\d.]+$/.test(address) || address.includes(':') || address === 'localhost');
}

export class HighThroughputExecutor extends BlockProviderExecutor {
  readonly options: ResolvedHtexOptions;
  #interchange: Interchange | undefined;
  #dir = '';
  #secretPath = '';
  #certPath: string | undefined;
  #outstanding = 0;
  #shuttingDown = false;
  #shutdownPromise: Promise<void> | undefined;

  constructor(options: HighThroughputExecutorOptions = {}) {
    const resolved = resolveHtexOptions(options);
    super(resolved.label, resolved.provider, { blockErrorHandler: resolved.blockErrorHandler });
    this.options = resolved;
  }

  get storageAccess(): readonly StagingProvider[] {
    return this.options.storageAccess;
  }

  get workingDir(): string | undefined {
    return this.options.workingDir;
  }

  /** The interchange's port (after start). */
  get port(): number {
    return this.#interchange?.port ?? 0;
  }

  /** Listens first, so that the managers of the first blocks find the interchange ready. */
  async start(context: ExecutorContext): Promise<void> {
    this.context = context;
    this.#dir = resolve(context.runDir, this.label);
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const secret = generateSecret();
    this.#secretPath = join(this.#dir, 'secret');
    writeSecretFile(this.#secretPath, secret);
    const tls = this.options.encrypted ? await createSelfSignedCertificate(this.#dir) : undefined;
    this.#certPath = tls?.certPath;
    const { address, heartbeatThreshold } = this.options;
    this.#interchange = new Interchange({
      label: this.label, secret, tls,
      host: isLoopbackOrIp(address) ? address : '0.0.0.0',
      portRange: this.options.workerPortRange,
      heartbeatPeriod: this.options.heartbeatPeriod,
      heartbeatThreshold,
      maxFrameBytes: this.options.maxFrameBytes,
      handshakeTimeoutMs: Math.min(10_000, heartbeatThreshold * 1000),
      logger: context.logger,
      deliver: (taskId, tryId, outcome) => this.#delivered(taskId, tryId, outcome),
      monitor: context.monitor,
    });
    this.#interchange.setReferenced(false);
    await this.#interchange.listen();
    await this.startBlocks(context);
    context.logger.info(`executor ${this.label}: interchange on ${address}:${this.port}, ${this.blocks().length} block(s) submitted`);
  }

  #delivered(taskId: number, tryId: number, outcome: TaskOutcome): void {
    this.#outstanding--;
    if (this.#outstanding === 0) this.#interchange?.setReferenced(false);
    this.context!.deliver(taskId, tryId, outcome);
  }

  submit(task: ExecutorTask): void {
    const refusal = this.#shuttingDown ? new ExecutorError(this.label, 'executor is shut down') : this.badState;
    if (refusal !== undefined || this.#interchange === undefined) {
      this.context!.deliver(task.taskId, task.tryId, { ok: false, error: refusal ?? new ExecutorError(this.label, 'executor not started') });
      return;
    }
    if (this.#outstanding++ === 0) this.#interchange.setReferenced(true);
    this.#interchange.submit(task);
  }

  /** `priority` orders the queue; `cores` and `memory` (MB) must fit one worker (coresPerWorker, memPerWorker GB). */
  validateResourceSpecification(spec: Record<string, unknown>): void {
    const { coresPerWorker, memPerWorker } = this.options;
    checkResourceSpecification(this.label, spec, {
      priority: { positive: false },
      cores: { positive: true, max: { value: coresPerWorker, configured: `coresPerWorker ${coresPerWorker}` } },
      memory: memPerWorker > 0
        ? { positive: true, unit: 'MB', max: { value: memPerWorker * 1024, configured: `memPerWorker ${memPerWorker} GB` } }
        : { positive: true, unit: 'MB' },
    });
  }

  cancel(taskId: number): boolean {
    if (!this.#interchange?.cancel(taskId)) return false;
    this.#outstanding--;
    if (this.#outstanding === 0) this.#interchange.setReferenced(false);
    return true;
  }

  /** The worker-pool command for one node; the secret travels in a 0600 file, never in argv. */
  protected launchCommand(blockId: string): string {
    const o = this.options;
    const args = [
      process.execPath, ...cliNodeFlags(), CLI_ENTRY, 'worker-pool',
      '--address', o.address, '--port', String(this.port), '--secret-file', this.#secretPath, '--block-id', blockId,
      '--max-workers-per-node', Number.isFinite(o.maxWorkersPerNode) ? String(o.maxWorkersPerNode) : 'inf',
      '--cores-per-worker', String(o.coresPerWorker), '--mem-per-worker', String(o.memPerWorker),
      '--prefetch-capacity', String(o.prefetchCapacity),
      '--heartbeat-period', String(o.heartbeatPeriod), '--heartbeat-threshold', String(o.heartbeatThreshold),
      '--log-dir', this.#dir,
    ];
    if (o.drainPeriod !== undefined) args.push('--drain-period', String(o.drainPeriod));
    if (o.workingDir !== undefined) args.push('--working-dir', o.workingDir);
    // The manager stops taking tasks before the block's walltime, and says so if killed there.
    if (this.provider.walltime !== undefined) args.push('--block-walltime', String(walltimeSeconds(this.provider.walltime)));
    if (this.#certPath !== undefined) args.push('--cert-file', this.#certPath);
    if (o.maxFrameBytes !== DEFAULT_MAX_FRAME_BYTES) args.push('--max-frame-bytes', String(o.maxFrameBytes));
    if (o.availableAccelerators.length > 0) args.push('--available-accelerators', ...o.availableAccelerators);
    const monitor = this.context?.monitor;
    if (monitor !== undefined) args.push('--monitoring', String(monitor.resourceInterval));
    const command = args.map(shellQuote).join(' ');
    return o.workerInit.trim() === '' ? command : `${o.workerInit}\n${command}`;
  }

  protected tasksPerNode(): number {
    return 1;
  }

  outstanding(): number {
    return this.#outstanding;
  }

  /** Worker slots per block: what connected managers report, else what this machine would run. */
  workersPerBlock(): number {
    const managers = this.#interchange?.managers() ?? [];
    let perNode = Math.max(0, ...managers.map((m) => m.workerCount));
    if (perNode === 0) {
      const o = this.options;
      perNode = Math.min(o.maxWorkersPerNode, Math.floor(availableParallelism() / o.coresPerWorker));
      if (o.availableAccelerators.length > 0) perNode = Math.min(perNode, o.availableAccelerators.length);
      perNode = Math.max(1, perNode);
    }
    return perNode * this.provider.nodesPerBlock;
  }

  idleSince(blockId: string): number | undefined {
    return this.#interchange?.idleSince(blockId);
  }

  protected blockRegistered(blockId: string): boolean {
    return this.#interchange?.hasRegistered(blockId) ?? false;
  }

  protected holdBlock(blockId: string): void {
    this.#interchange?.holdBlock(blockId);
  }

  protected onAllBlocksFailed(error: Error): void {
    for (const task of this.#interchange?.drainQueue() ?? []) this.#delivered(task.taskId, task.tryId, { ok: false, error });
  }

  /** Managers connected now. */
  managers(): ManagerInfo[] {
    return this.#interchange?.managers() ?? [];
  }

  /** Fails what never ran, stops managers (they take their workers), cancels blocks, closes the port. */
  shutdown(): Promise<void> {
    this.#shutdownPromise ??= (async () => {
      this.#shuttingDown = true;
      const interchange = this.#interchange;
      if (interchange !== undefined) {
        for (const task of interchange.drainQueue()) {
          this.#delivered(task.taskId, task.tryId, { ok: false, error: new ExecutorError(this.label, 'executor shut down before the task ran') });
        }
        await interchange.close(MANAGER_EXIT_WAIT_MS);
      }
      await this.shutdownBlocks();
      this.context?.logger.info(`executor ${this.label}: shut down`);
    })();
    return this.#shutdownPromise;
  }

  status(): ExecutorStatus {
    const managers = this.managers();
    return {
      label: this.label, kind: 'HighThroughputExecutor',
      // A worker runs one task at a time: what a manager holds beyond its workers waits there.
      queued: (this.#interchange?.queued ?? 0) + managers.reduce((sum, m) => sum + Math.max(0, m.tasks - m.workerCount), 0),
      running: managers.reduce((sum, m) => sum + Math.min(m.tasks, m.workerCount), 0),
      workers: managers.reduce((sum, m) => sum + m.workerCount, 0),
      address: this.options.address, port: this.port, managers, blocks: this.blocks(),
    };
  }
}
