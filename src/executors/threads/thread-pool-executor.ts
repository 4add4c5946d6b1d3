/**
 * ThreadPoolExecutor: tasks run on `worker_threads` inside the driver's process.
 * Tasks go to workers in batches; each worker holds a few more tasks than it runs, tuned
 * from how long its tasks take (many for no-ops, one spare for slow tasks). A task with a
 * walltime runs alone on its worker, so the worker can be ended when it overruns.
 */
import { availableParallelism, hostname, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AppTimeout, ConfigurationError, ExecutorError, SerializationError, WorkerLost } from '../../errors.js';
import { fromErrorRecord, type ErrorRecord } from '../../serialize/errors.js';
import { PriorityQueue } from '../../util/priority-queue.js';
import type { WireTask } from '../runner.js';
import { checkResourceSpecification, type Executor, type ExecutorContext, type ExecutorStatus, type ExecutorTask } from '../executor.js';
import type { ResultBatchMessage, TaskBatchMessage } from './protocol.js';
import { ownModuleUrl, threadEntryFor } from '../../util/own-modules.js';
import { ProcessSampler } from '../../monitoring/resource-sampler.js';
import type { TryPlacement } from '../../monitoring/events.js';
import { StartCell } from './start-cell.js';
import { storageAccessOption } from '../../data/data-manager.js';
import type { StagingProvider } from '../../data/staging.js';

export interface ThreadPoolExecutorOptions {
  /** Unique name of this executor in the config. Default `'threads'`. */
  label?: string;
  /** Worker threads to run. Default: the number of cores. */
  maxThreads?: number;
  /** Staging providers for tasks' Files. Default `[NoOpFileStaging, HTTPSeparateTaskStaging, FTPSeparateTaskStaging]`. */
  storageAccess?: StagingProvider[];
}

const WORKER_ENTRY = threadEntryFor(ownModuleUrl('./worker.js', import.meta.url));
/** How long a worker's queued work should last, to size the batch it is given. */
const TARGET_QUEUE_MS = 4;
const MAX_IN_FLIGHT = 512;
/** Tasks slower than this are not prefetched: the round trip is noise next to them. */
const SLOW_TASK_MS = 2;
/** A walltime task's worker is ended this long after the walltime if it has not answered. */
const WALLTIME_GRACE_MS = 200;
/** Monitoring: how often the tasks running on the workers are looked at (the recorder writes every 100 ms). */
const RUNNING_CHECK_MS = 100;

/**
 * The driver's Node flags minus loaders: `--import tsx` would be resolved again from the
 * current directory (which may have changed); the worker registers tsx itself.
 */
function driverFlagsWithoutLoaders(): string[] {
  const kept: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (/^--(import|loader|experimental-loader|require)$/.test(arg) || arg === '-r') { i++; continue; }
    if (/^--(import|loader|experimental-loader|require)=/.test(arg) || arg.startsWith('--test')) continue;
    kept.push(arg);
  }
  return kept;
}

/** `flags` without `refused` (as Node names them) and the separate value each refused flag took. */
function withoutRefused(flags: string[], refused: string[]): string[] {
  const kept = [...flags];
  for (const flag of refused) {
    const at = kept.indexOf(flag);
    if (at < 0) continue;
    // execArgv holds only options, so a word after a flag that is not itself an option is its value.
    const takesNext = !flag.includes('=') && at + 1 < kept.length && !kept[at + 1]!.startsWith('-');
    kept.splice(at, takesNext ? 2 : 1);
  }
  return kept;
}

let acceptedFlags: string[] | undefined;

/**
 * The driver's flags that worker threads accept. Some ordinary flags are per process
 * (`--report-directory`, `--title`, V8 heap sizes) and make `new Worker` throw
 * ERR_WORKER_INVALID_EXEC_ARGV; Node names them in the error, so ask it once and drop those.
 */
function workerExecArgv(): string[] {
  if (acceptedFlags !== undefined) return acceptedFlags;
  let flags = driverFlagsWithoutLoaders();
  while (flags.length > 0) {
    try {
      const probe = new Worker('', { eval: true, execArgv: flags, stdout: true, stderr: true });
      probe.unref();
      void probe.terminate();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
      const listed = (error as Error).message.split(': ').slice(1).join(': ').split(', ').map((flag) => flag.trim());
      const fewer = withoutRefused(flags, listed);
      // Not understood: run workers with no flags rather than not at all.
      flags = fewer.length < flags.length ? fewer : [];
    }
  }
  acceptedFlags = flags;
  return flags;
}

interface ThreadSlot {
  id: number;
  worker: Worker;
  inFlight: Map<number, ExecutorTask>;
  knownCodes: Set<string>;
  /** Average milliseconds a task took on this worker (EWMA). */
  avgTaskMs: number;
  /** Set while a walltime task runs alone here. */
  walltimeTimer: NodeJS.Timeout | undefined;
  ready: Promise<void>;
  exited: boolean;
  /** Monitoring: where its tries run, and whether the worker was asked to report start times. */
  placement: TryPlacement | undefined;
  /** Monitoring: the task it runs now and since when (written by the worker). */
  startCell: StartCell | undefined;
  /** The StartCell sequence of the last start recorded as running. */
  reportedStart: number;
}

function toWireTask(task: ExecutorTask): WireTask {
  const wire: WireTask = {
    taskId: task.taskId, tryId: task.tryId, codeId: task.code.id, appName: task.appName,
    kind: task.kind, args: task.args,
  };
  if (task.stdout) wire.stdout = task.stdout;
  if (task.stderr) wire.stderr = task.stderr;
  if (task.walltime !== undefined) wire.walltime = task.walltime;
  if (task.outputs && task.outputs.length > 0) wire.outputs = task.outputs;
  if (task.hasFiles) wire.hasFiles = true;
  if (task.stageIn) wire.stageIn = task.stageIn;
  if (task.stageOut) wire.stageOut = task.stageOut;
  return wire;
}

export class ThreadPoolExecutor implements Executor {
  readonly label: string;
  readonly maxThreads: number;
  readonly storageAccess: readonly StagingProvider[];
  #context: ExecutorContext | undefined;
  #slots: ThreadSlot[] = [];
  #queue = new PriorityQueue<ExecutorTask>();
  #dispatchScheduled = false;
  #outstanding = 0;
  #referenced = false;
  #nextWorkerId = 0;
  #shuttingDown = false;
  #shutdownPromise: Promise<void> | undefined;
  #sampleTimer: NodeJS.Timeout | undefined;
  #runningTimer: NodeJS.Timeout | undefined;
  #startedAt = 0;

  constructor(options: ThreadPoolExecutorOptions = {}) {
    this.label = options.label ?? 'threads';
    this.maxThreads = options.maxThreads ?? availableParallelism();
    if (!Number.isInteger(this.maxThreads) || this.maxThreads < 1) {
      throw new ConfigurationError(`ThreadPoolExecutor ${this.label}: maxThreads must be a positive integer, got ${options.maxThreads}`, 'maxThreads');
    }
    this.storageAccess = storageAccessOption(`ThreadPoolExecutor ${this.label}`, options.storageAccess);
  }

  async start(context: ExecutorContext): Promise<void> {
    this.#context = context;
    this.#referenced = true; // keep the process alive while workers start
    for (let i = 0; i < this.maxThreads; i++) this.#slots.push(this.#spawn());
    await Promise.all(this.#slots.map((slot) => slot.ready));
    this.#setReferenced(false);
    context.logger.info(`executor ${this.label}: ${this.maxThreads} worker threads started`);
    if (context.monitor !== undefined) this.#startMonitoring();
  }

  /** The driver is this executor's one node; resource samples are of the driver process (threads share it). */
  #startMonitoring(): void {
    const monitor = this.#context!.monitor!;
    this.#startedAt = Date.now();
    this.#reportNode(true);
    this.#runningTimer = setInterval(() => this.#reportRunning(), RUNNING_CHECK_MS);
    this.#runningTimer.unref();
    if (monitor.resourceInterval <= 0) return;
    const sampler = new ProcessSampler(process.pid, false);
    const one: number[] = [];
    this.#sampleTimer = setInterval(() => {
      const flat: number[] = [];
      for (const slot of this.#slots) {
        // Tasks run in the order sent: the first one in flight is the one running.
        const running = slot.inFlight.values().next().value;
        if (running === undefined) continue;
        if (one.length === 0) sampler.sample(running.taskId, running.tryId, one);
        const at = flat.length;
        flat.push(...one);
        flat[at] = running.taskId;
        flat[at + 1] = running.tryId;
      }
      one.length = 0;
      if (flat.length > 0) monitor.resourceSamples(flat, hostname());
    }, monitor.resourceInterval * 1000);
    this.#sampleTimer.unref();
  }

  /** Tasks that started since the last look and still run: recorded as running now, not when they return. */
  #reportRunning(): void {
    const monitor = this.#context!.monitor!;
    for (const slot of this.#slots) {
      const started = slot.startCell?.read();
      if (started === undefined || started.sequence === slot.reportedStart) continue;
      slot.reportedStart = started.sequence;
      if (slot.inFlight.get(started.taskId)?.tryId !== started.tryId) continue; // already returned
      monitor.tryRunning(started.taskId, started.tryId, started.startedAt, slot.placement!);
    }
  }

  #reportNode(active: boolean): void {
    const now = Date.now();
    this.#context!.monitor!.node({
      executorLabel: this.label, uid: this.label, hostname: hostname(), blockId: '', cpuCount: availableParallelism(),
      totalMemory: totalmem(), workerCount: this.maxThreads, active, nodeVersion: process.versions.node,
      registeredAt: this.#startedAt, lastHeartbeat: now, managerMemoryResident: process.memoryUsage.rss(),
    });
  }

  #spawn(): ThreadSlot {
    const worker = new Worker(WORKER_ENTRY.script, { workerData: WORKER_ENTRY.workerData, stdout: false, stderr: false, execArgv: workerExecArgv() });
    const slot: ThreadSlot = {
      id: this.#nextWorkerId++, worker, inFlight: new Map(), knownCodes: new Set(),
      avgTaskMs: 0, walltimeTimer: undefined, ready: Promise.resolve(), exited: false, placement: undefined,
      startCell: undefined, reportedStart: 0,
    };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onReady = (message: unknown) => {
        if ((message as { ready?: boolean }).ready) {
          worker.off('error', onStartError);
          worker.on('message', (batch: ResultBatchMessage) => this.#onResults(slot, batch));
          resolve();
        }
      };
      const onStartError = (error: Error) => reject(new ExecutorError(this.label, `worker thread failed to start: ${error.message}`));
      worker.once('message', onReady);
      worker.once('error', onStartError);
    });
    slot.ready.catch(() => { /* reported by start() or by the exit handler */ });
    worker.on('error', (error) => this.#context?.logger.error(`executor ${this.label}: worker ${slot.id} error: ${error.stack ?? error.message}`));
    worker.once('exit', (code) => this.#onExit(slot, code));
    if (!this.#referenced) worker.unref();
    return slot;
  }

  submit(task: ExecutorTask): void {
    if (this.#shuttingDown) {
      this.#context!.deliver(task.taskId, task.tryId, { ok: false, error: new ExecutorError(this.label, 'executor is shut down') });
      return;
    }
    this.#queue.push(task, task.priority ?? 0);
    this.#outstanding++;
    if (!this.#referenced) this.#setReferenced(true);
    if (!this.#dispatchScheduled) {
      this.#dispatchScheduled = true;
      queueMicrotask(() => { this.#dispatchScheduled = false; this.#dispatch(); });
    }
  }

  /** Threads share the driver's cores and memory: only `priority` means something here. */
  validateResourceSpecification(spec: Record<string, unknown>): void {
    checkResourceSpecification(this.label, spec, { priority: { positive: false } });
  }

  cancel(taskId: number): boolean {
    const removed = this.#queue.remove((task) => task.taskId === taskId);
    if (removed) this.#taskEnded();
    return removed;
  }

  #capacity(slot: ThreadSlot): number {
    if (slot.walltimeTimer !== undefined) return 0;
    // Unknown or slow tasks: one at a time, so no task waits behind a slow one.
    if (slot.avgTaskMs <= 0 || slot.avgTaskMs >= SLOW_TASK_MS) return 1;
    return Math.max(2, Math.min(MAX_IN_FLIGHT, Math.floor(TARGET_QUEUE_MS / slot.avgTaskMs)));
  }

  #dispatch(): void {
    if (this.#queue.size === 0) return;
    const live = this.#slots.filter((slot) => !slot.exited).length || 1;
    // An even share each, so that one worker does not take everything at once.
    const share = Math.ceil(this.#queue.size / live);
    for (const slot of this.#slots) {
      if (slot.exited) continue;
      let room = Math.min(share, this.#capacity(slot) - slot.inFlight.size);
      if (room <= 0) continue;
      const batch: ExecutorTask[] = [];
      while (room > 0 && this.#queue.size > 0) {
        const next = this.#queue.peek()!;
        if (next.walltime !== undefined) {
          // Runs alone, so that ending the thread on overrun ends nothing else.
          if (batch.length > 0 || slot.inFlight.size > 0) break;
          batch.push(this.#queue.pop()!);
          break;
        }
        batch.push(this.#queue.pop()!);
        room--;
      }
      if (batch.length > 0) this.#send(slot, batch);
      if (this.#queue.size === 0) break;
    }
  }

  #send(slot: ThreadSlot, batch: ExecutorTask[]): void {
    const codes = [];
    for (const task of batch) {
      if (!slot.knownCodes.has(task.code.id)) {
        slot.knownCodes.add(task.code.id);
        codes.push(task.code);
      }
    }
    const message: TaskBatchMessage = { tasks: batch.map(toWireTask) };
    if (codes.length > 0) message.codes = codes;
    if (slot.placement === undefined && this.#context!.monitor !== undefined) {
      slot.placement = { hostname: hostname(), managerId: this.label, workerId: String(slot.id) };
      slot.startCell = new StartCell();
      message.startCell = slot.startCell.buffer;
    }
    try {
      slot.worker.postMessage(message);
    } catch {
      this.#sendCloneable(slot, batch, message);
      return;
    }
    for (const task of batch) slot.inFlight.set(task.taskId, task);
    const timed = batch[0]!;
    if (timed.walltime !== undefined) this.#armWalltime(slot, timed);
  }

  /** Some argument could not be cloned: fail those tasks, naming the argument, send the rest. */
  #sendCloneable(slot: ThreadSlot, batch: ExecutorTask[], message: TaskBatchMessage): void {
    const good: ExecutorTask[] = [];
    for (const task of batch) {
      const bad = task.args.findIndex((arg) => { try { structuredClone(arg); return false; } catch { return true; } });
      if (bad < 0) { good.push(task); continue; }
      let reason = 'cannot be cloned';
      try { structuredClone(task.args[bad]); } catch (error) { reason = (error as Error).message; }
      this.#taskEnded();
      this.#context!.deliver(task.taskId, task.tryId, {
        ok: false, error: new SerializationError(`argument ${bad} of app ${task.appName} (task ${task.taskId})`, reason),
      });
    }
    if (good.length === 0) return;
    message.tasks = good.map(toWireTask);
    slot.worker.postMessage(message);
    for (const task of good) slot.inFlight.set(task.taskId, task);
    if (good[0]!.walltime !== undefined) this.#armWalltime(slot, good[0]!);
  }

  #armWalltime(slot: ThreadSlot, task: ExecutorTask): void {
    slot.walltimeTimer = setTimeout(() => {
      slot.walltimeTimer = undefined;
      if (!slot.inFlight.has(task.taskId)) return;
      // A synchronous loop cannot be interrupted from inside: end the thread, start another.
      slot.inFlight.delete(task.taskId);
      this.#context!.logger.warn(`executor ${this.label}: task ${task.taskId} exceeded walltime ${task.walltime}s; ending worker ${slot.id}`);
      this.#taskEnded();
      this.#context!.deliver(task.taskId, task.tryId, { ok: false, error: new AppTimeout(task.appName, task.walltime!) });
      this.#replace(slot);
    }, task.walltime! * 1000 + WALLTIME_GRACE_MS + (task.kind === 'bash' ? 1000 : 0));
  }

  #replace(slot: ThreadSlot): void {
    slot.exited = true;
    void slot.worker.terminate();
    const index = this.#slots.indexOf(slot);
    if (index >= 0 && !this.#shuttingDown) {
      const fresh = this.#spawn();
      this.#slots[index] = fresh;
      fresh.ready.then(() => this.#dispatch(), (error: Error) => this.#context!.logger.error(error.message));
    }
  }

  #onResults(slot: ThreadSlot, batch: ResultBatchMessage): void {
    const perTask = batch.busyMs / batch.count;
    slot.avgTaskMs = slot.avgTaskMs === 0 ? perTask : slot.avgTaskMs * 0.7 + perTask * 0.3;
    const results = batch.results;
    const context = this.#context!;
    const startedAt = batch.startedAt;
    for (let i = 0; i < results.length; i += 4) {
      const taskId = results[i] as number;
      if (!slot.inFlight.has(taskId)) continue; // already timed out
      // Before the result: the try's running time is recorded before it ends (if #reportRunning did not already).
      if (startedAt !== undefined) context.monitor?.tryRunning(taskId, results[i + 1] as number, startedAt[i / 4]!, slot.placement!);
      slot.inFlight.delete(taskId);
      if (slot.walltimeTimer !== undefined) { clearTimeout(slot.walltimeTimer); slot.walltimeTimer = undefined; }
      this.#outstanding--;
      const outcome = results[i + 2] === 1
        ? { ok: true as const, value: results[i + 3] }
        : { ok: false as const, error: fromErrorRecord(results[i + 3] as ErrorRecord) };
      context.deliver(taskId, results[i + 1] as number, outcome);
    }
    this.#dispatch();
    if (this.#outstanding === 0) this.#setReferenced(false);
  }

  #onExit(slot: ThreadSlot, code: number): void {
    const wasReplaced = slot.exited;
    slot.exited = true;
    clearTimeout(slot.walltimeTimer);
    if (slot.inFlight.size > 0) {
      for (const task of slot.inFlight.values()) {
        this.#taskEnded();
        this.#context?.deliver(task.taskId, task.tryId, {
          ok: false, error: new WorkerLost(`${this.label}-thread-${slot.id}`, hostname(), `worker thread exited with code ${code}`),
        });
      }
      slot.inFlight.clear();
    }
    if (!wasReplaced && !this.#shuttingDown) {
      this.#context?.logger.warn(`executor ${this.label}: worker ${slot.id} exited with code ${code}; starting a replacement`);
      this.#replace(slot);
    }
  }

  #taskEnded(): void {
    this.#outstanding--;
    if (this.#outstanding === 0) this.#setReferenced(false);
  }

  /** Workers keep the process alive only while there is work: an idle driver may exit. */
  #setReferenced(referenced: boolean): void {
    this.#referenced = referenced;
    for (const slot of this.#slots) {
      if (referenced) slot.worker.ref(); else slot.worker.unref();
    }
  }

  shutdown(): Promise<void> {
    this.#shutdownPromise ??= (async () => {
      this.#shuttingDown = true;
      clearInterval(this.#sampleTimer);
      clearInterval(this.#runningTimer);
      for (const task of this.#queue.drain()) {
        this.#context?.deliver(task.taskId, task.tryId, { ok: false, error: new ExecutorError(this.label, 'executor shut down before the task ran') });
      }
      await Promise.all(this.#slots.map(async (slot) => {
        slot.exited = true;
        clearTimeout(slot.walltimeTimer);
        await slot.worker.terminate();
      }));
      if (this.#context?.monitor !== undefined) this.#reportNode(false);
      this.#context?.logger.info(`executor ${this.label}: shut down`);
    })();
    return this.#shutdownPromise;
  }

  status(): ExecutorStatus {
    // A thread runs one task at a time; the others it holds wait their turn.
    let running = 0;
    let held = 0;
    for (const slot of this.#slots) {
      if (slot.inFlight.size > 0) running++;
      held += slot.inFlight.size;
    }
    return { label: this.label, kind: 'ThreadPoolExecutor', queued: this.#queue.size + held - running, running, workers: this.#slots.length };
  }
}
