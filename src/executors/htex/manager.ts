/**
 * The HighThroughputExecutor manager (`parsl-ts worker-pool`), one per node: connects to
 * the interchange, proves it holds the run's secret, registers, starts its worker
 * processes, and relays tasks down and results up. Results pass through undecoded.
 * It replaces workers that die (their running task fails with WorkerLost), ends a worker
 * whose synchronous task overruns its walltime (AppTimeout), stops taking tasks after
 * `drainPeriod`, reconnects when its link drops (its tasks keep running), and exits with
 * its workers when the interchange is gone: nothing heard from it for heartbeatThreshold.
 */
import { availableParallelism, freemem, hostname, totalmem } from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { AppTimeout, WorkerLost } from '../../errors.js';
import { toErrorRecord } from '../../serialize/errors.js';
import { Logger } from '../../util/logger.js';
import { VERSION } from '../../version.js';
import { ManagerLink } from './manager-link.js';
import { killDescendants } from '../../util/processes.js';
import { walltimeDrainMargin } from '../../providers/walltime-drain.js';
import {
  MessageType, decodeTaskBatch, encodeResultBatch, encodeTaskBatch, frame, idsFrame, jsonFrame, readIds, readResultHeader,
  type CodeEntry, type RegisterMessage, type WireTaskEntry,
} from './protocol.js';
import { WorkerProcess, workerEnv } from './worker-process.js';

export interface ManagerOptions {
  address: string;
  port: number;
  secret: Buffer;
  blockId: string;
  /** Upper bound on workers; Infinity: as many as cores and memory allow. */
  maxWorkersPerNode: number;
  coresPerWorker: number;
  /** GB of memory per worker; 0: memory does not bound the worker count. */
  memPerWorker: number;
  prefetchCapacity: number;
  /** Seconds. */
  heartbeatPeriod: number;
  heartbeatThreshold: number;
  /** Seconds after start at which the manager stops taking tasks; undefined: never. */
  drainPeriod: number | undefined;
  /** The block's walltime in seconds: stop taking tasks shortly before it; undefined: none. */
  blockWalltime?: number;
  availableAccelerators: string[];
  /** PEM certificate of the interchange: connect with TLS and trust only it. */
  certPath: string | undefined;
  logDir: string | undefined;
  maxFrameBytes: number;
  /** The parsl-ts version reported at registration (tests of the version check). */
  reportVersion?: string;
  /** Directory the manager and its workers run in (created if missing); undefined: where started. */
  workingDir?: string;
  /** Monitoring on: workers report start times, and resource samples every this many seconds (0: none). */
  monitoringInterval?: number;
}

/** A worker stuck this long on one task gives back the tasks queued behind it if another worker is idle. */
const RECLAIM_AFTER_MS = 10;
/** A walltime task's worker is ended this long after the walltime if it has not answered. */
const WALLTIME_GRACE_MS = 200;

/**
 * Whether a signal `elapsed` seconds after the manager started is the scheduler ending the
 * block at its walltime. The manager starts a little after its job, so allow some seconds.
 */
export function atBlockWalltime(elapsedSeconds: number, walltimeSeconds: number): boolean {
  const slack = Math.max(walltimeDrainMargin(walltimeSeconds), Math.min(5, walltimeSeconds / 2));
  return elapsedSeconds >= walltimeSeconds - slack;
}

/** Workers this node runs: Parsl's rule (cores, memory, accelerators, maxWorkersPerNode). */
export function workerCount(options: Pick<ManagerOptions, 'maxWorkersPerNode' | 'coresPerWorker' | 'memPerWorker' | 'availableAccelerators'>,
  cores = availableParallelism(), freeGb = freemem() / 2 ** 30): number {
  let count = Math.min(options.maxWorkersPerNode, Math.floor(cores / options.coresPerWorker));
  if (options.memPerWorker > 0) count = Math.min(count, Math.floor(freeGb / options.memPerWorker));
  if (options.availableAccelerators.length > 0) count = Math.min(count, options.availableAccelerators.length);
  return Math.max(1, count);
}

export class Manager {
  readonly managerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly count: number;
  readonly logger: Logger;
  readonly #link: ManagerLink;
  #drainTimerSet = false;
  readonly #startedAt = Date.now();
  #draining = false;
  #stopping = false;
  #workers: (WorkerProcess | undefined)[] = [];
  #queue: WireTaskEntry[] = [];
  #queueHead = 0;
  #codes = new Map<number, CodeEntry>();
  #capacitySent = 0;
  #timers: NodeJS.Timeout[] = [];
  #rebalanceTimer: NodeJS.Timeout | undefined;
  /** Tasks being taken back from workers to be dropped, not run elsewhere. */
  #stale = new WeakSet<WireTaskEntry>();
  #failedStarts = 0;
  #nextRank = 0;
  #exitCode: ((code: number) => void) | undefined;

  constructor(readonly options: ManagerOptions) {
    this.count = workerCount(options);
    this.logger = new Logger(options.logDir === undefined ? undefined : join(options.logDir, `manager.block-${options.blockId}.${this.managerId}.log`), 'manager');
    this.#link = new ManagerLink({
      ...options, logger: this.logger,
      registration: (again) => this.#registration(again),
      onRegistered: (fresh) => this.#onRegistered(fresh),
      onFrame: (type, payload) => this.#onInterchangeFrame(type, payload),
      onGone: (message, registered) => this.#onInterchangeGone(message, registered),
    });
  }

  /** Runs until the manager is told to stop or loses the interchange; resolves with the exit code. */
  run(): Promise<number> {
    const exited = new Promise<number>((resolve) => { this.#exitCode = resolve; });
    if (this.options.workingDir !== undefined) {
      // Workers inherit it: tasks' relative paths and staged files land there.
      mkdirSync(this.options.workingDir, { recursive: true });
      process.chdir(this.options.workingDir);
    }
    this.logger.info(`manager ${this.managerId} block ${this.options.blockId}: ${this.count} workers, parsl-ts ${VERSION}, Node ${process.versions.node}`);
    for (let rank = 0; rank < this.count; rank++) this.#workers.push(this.#spawn(rank));
    this.#link.start();
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => this.#onSignal(signal));
    return exited;
  }

  // ------------------------------------------------------------ interchange link

  #registration(again: boolean): RegisterMessage {
    const capacity = this.#capacity();
    this.#capacitySent = capacity;
    const message: RegisterMessage = {
      managerId: this.managerId, blockId: this.options.blockId, hostname: hostname(), pid: process.pid,
      cpuCount: availableParallelism(), totalMemory: totalmem(),
      workerCount: this.count, capacity, nodeVersion: process.versions.node,
      parslVersion: this.options.reportVersion ?? VERSION, accelerators: this.options.availableAccelerators,
    };
    if (again) {
      const holding: number[] = [];
      for (let i = this.#queueHead; i < this.#queue.length; i++) holding.push(this.#queue[i]!.taskId);
      for (const worker of this.#workers) if (worker !== undefined) for (const task of worker.inFlight) holding.push(task.taskId);
      message.holding = holding;
    }
    return message;
  }

  /** The interchange is gone or will not have this manager: exit with the workers. */
  #onInterchangeGone(message: string, registered: boolean): void {
    if (registered) this.stop(1, message); else this.#fatal(message);
  }

  #onInterchangeFrame(type: number, payload: Buffer): void {
    switch (type) {
      case MessageType.Tasks: {
        const batch = decodeTaskBatch(payload);
        for (const code of batch.codes) this.#codes.set(code.index, code);
        for (const task of batch.tasks) this.#queue.push(task);
        this.#dispatch();
        return;
      }
      case MessageType.Drain: this.#drain('the interchange asked this manager to drain'); return;
      case MessageType.Reclaim: this.#giveBack(); return;
      case MessageType.Shutdown: this.stop(0, 'shutdown requested by the interchange'); return;
      default: this.logger.warn(`ignoring frame type ${type} from the interchange`);
    }
  }

  #onRegistered(fresh: boolean): void {
    if (fresh) this.#dropStaleTasks();
    if (this.#draining) {
      this.#link.send(jsonFrame(MessageType.Draining, { reason: 'still draining' }));
      this.#stopIfDrained();
    }
    if (!this.#drainTimerSet) {
      this.#drainTimerSet = true;
      const { drainPeriod, blockWalltime } = this.options;
      if (drainPeriod !== undefined) this.#timers.push(setTimeout(() => this.#drain(`drainPeriod of ${drainPeriod} s reached`), drainPeriod * 1000));
      if (blockWalltime !== undefined) {
        const margin = walltimeDrainMargin(blockWalltime);
        const inMs = Math.max(0, (blockWalltime - margin) * 1000 - (Date.now() - this.#startedAt));
        this.#timers.push(setTimeout(() => this.#drain(`the block's walltime (${blockWalltime} s) ends in ${margin.toFixed(1)} s`), inMs));
      }
    }
    this.#dispatch();
  }

  /** Ended from outside. Near the block's walltime that is the scheduler ending the block: say so. */
  #onSignal(signal: NodeJS.Signals): void {
    const walltime = this.options.blockWalltime;
    if (walltime !== undefined && atBlockWalltime((Date.now() - this.#startedAt) / 1000, walltime)) {
      const reason = `the block reached its walltime (${walltime} s) and the scheduler ended it (${signal})`;
      this.#link.send(jsonFrame(MessageType.Draining, { reason, final: true }));
      this.stop(0, reason);
      return;
    }
    this.stop(0, `received ${signal}`);
  }

  #drain(reason: string): void {
    if (this.#draining || this.#stopping) return;
    this.#draining = true;
    this.logger.info(`draining: ${reason}`);
    this.#link.send(jsonFrame(MessageType.Draining, { reason }));
    this.#stopIfDrained();
  }

  /**
   * The interchange had given this manager up and failed its tasks (they may be running
   * elsewhere by now): drop those not started. Running ones finish; their results are ignored.
   */
  #dropStaleTasks(): void {
    let dropped = this.#queue.length - this.#queueHead;
    this.#queue = [];
    this.#queueHead = 0;
    for (const worker of this.#workers) {
      if (worker === undefined || worker.exited || worker.inFlight.length < 2) continue;
      const queued = worker.inFlight.slice(1);
      for (const task of queued) this.#stale.add(task);
      dropped += queued.length;
      worker.link.send(idsFrame(MessageType.Reclaim, queued.map((task) => task.taskId)));
    }
    this.logger.warn(`the interchange had given this manager up: dropping ${dropped} task(s) not started`);
  }

  #stopIfDrained(): void {
    // Results wait for a link: a manager that lost its link finishes draining after reconnecting.
    if (!this.#draining || !this.#link.registered || this.#queueHead < this.#queue.length) return;
    for (const worker of this.#workers) if (worker && worker.inFlight.length > 0) return;
    this.stop(0, 'drained: every task finished');
  }

  #capacity(): number {
    let total = this.options.prefetchCapacity;
    const now = Date.now();
    for (const worker of this.#workers) if (worker) total += Math.max(1, worker.capacity(now));
    return total;
  }

  #sendCapacity(): void {
    const capacity = this.#capacity();
    if (capacity === this.#capacitySent || !this.#link.registered) return;
    this.#capacitySent = capacity;
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(capacity, 0);
    this.#link.send(frame(MessageType.Capacity, payload));
  }

  // ------------------------------------------------------------ workers

  #spawn(rank: number): WorkerProcess {
    const accelerators = this.options.availableAccelerators;
    const env = workerEnv({
      rank, count: this.count, poolId: this.managerId, blockId: this.options.blockId,
      accelerator: accelerators.length > 0 ? accelerators[rank % accelerators.length] : undefined,
      maxFrameBytes: this.options.maxFrameBytes, monitoringInterval: this.options.monitoringInterval,
    });
    const id = this.#nextRank++;
    const worker: WorkerProcess = new WorkerProcess(rank, env, this.options.maxFrameBytes,
      (type, payload) => this.#onWorkerFrame(worker, type, payload),
      (error) => this.logger.error(`worker ${rank} link error: ${error.message}`));
    this.logger.debug(`started worker ${rank} (#${id}) pid ${worker.pid}`);
    worker.child.once('exit', (code, signal) => this.#onWorkerExit(worker, code, signal));
    worker.child.once('error', (error) => this.logger.error(`worker ${rank}: ${error.message}`));
    return worker;
  }

  #onWorkerFrame(worker: WorkerProcess, type: number, payload: Buffer): void {
    if (type === MessageType.Ready) {
      worker.ready = true;
      this.#failedStarts = 0;
      this.#dispatch();
      return;
    }
    if (type === MessageType.Returned) {
      this.#onReturned(worker, readIds(payload));
      return;
    }
    if (type === MessageType.Monitoring) {
      this.#link.send(frame(MessageType.Monitoring, payload)); // relayed as is, in order with the results
      return;
    }
    if (type !== MessageType.Results) return;
    const header = readResultHeader(payload);
    worker.recordTiming(header.busyMs, header.count);
    for (const taskId of header.taskIds) worker.finish(taskId);
    if (worker.walltimeTimer !== undefined && worker.inFlight.length === 0) {
      clearTimeout(worker.walltimeTimer);
      worker.walltimeTimer = undefined;
    }
    // Forwarded as is: the interchange reads the same header, the driver decodes the body.
    this.#link.sendResults(payload, header.taskIds);
    this.#dispatch();
    this.#sendCapacity();
    this.#stopIfDrained();
  }

  #onWorkerExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null, deferred = false): void {
    if (worker.exited && !deferred) return;
    worker.exited = true;
    clearTimeout(worker.walltimeTimer);
    worker.walltimeTimer = undefined;
    if (this.#stopping) return;
    // A scheduler ending the block sends SIGTERM to every process at once: let this manager's
    // own handler run first, so the tasks fail for the block's end rather than as WorkerLost.
    if (signal === 'SIGTERM' && !deferred && !worker.timedOut) {
      this.#timers.push(setTimeout(() => this.#onWorkerExit(worker, code, signal, true), 250));
      return;
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const running = worker.inFlight.shift();
    if (running !== undefined) {
      const appName = this.#codes.get(running.codeIndex)?.appName ?? 'unknown';
      const error = worker.timedOut
        ? new AppTimeout(appName, running.walltime)
        : new WorkerLost(`${this.managerId}-worker-${worker.rank}`, hostname(), `worker process (pid ${worker.pid}) ${how} while running task ${running.taskId}`);
      const result = encodeResultBatch([running.taskId], 0, serialize([running.tryId, 0, toErrorRecord(error)]));
      this.#link.sendResults(result.subarray(5), [running.taskId]);
    }
    // Tasks queued behind the running one never started: give them to other workers.
    if (worker.inFlight.length > 0) {
      this.#queue.splice(this.#queueHead, 0, ...worker.inFlight);
      worker.inFlight.length = 0;
    }
    const message = worker.timedOut
      ? `worker ${worker.rank} (pid ${worker.pid}) ended: task ${running?.taskId} exceeded its walltime`
      : `worker ${worker.rank} (pid ${worker.pid}) ${how}${running ? ` while running task ${running.taskId}` : ''}; starting a replacement`;
    this.logger.warn(message);
    this.#link.send(jsonFrame(MessageType.Log, { message }));
    if (!worker.ready) this.#failedStarts++;
    // A worker ended by SIGTERM usually shares the signal with this manager (a cancelled
    // block): give our own handler the chance to run before starting a replacement.
    const terminated = signal === 'SIGTERM' || signal === 'SIGINT' || signal === 'SIGHUP';
    const delay = Math.min(5000, this.#failedStarts === 0 ? (terminated ? 250 : 0) : 100 * 2 ** this.#failedStarts);
    const replace = () => {
      if (this.#stopping) return;
      const index = this.#workers.indexOf(worker);
      if (index >= 0) this.#workers[index] = this.#spawn(worker.rank);
      this.#dispatch();
    };
    if (delay === 0) replace(); else this.#timers.push(setTimeout(replace, delay));
  }

  #dispatch(): void {
    if (this.#queueHead < this.#queue.length) this.#dispatchQueued();
    if (this.#queueHead >= this.#queue.length) this.#rebalance();
  }

  #dispatchQueued(): void {
    const now = Date.now();
    const open: WorkerProcess[] = [];
    for (const worker of this.#workers) {
      if (worker !== undefined && worker.ready && !worker.exited && worker.capacity(now) > worker.inFlight.length) open.push(worker);
    }
    // Least loaded first: the next task goes to an idle worker rather than behind a busy one.
    if (open.length > 1) open.sort((a, b) => a.inFlight.length - b.inFlight.length);
    // Spread evenly: a burst of slow tasks must not queue up behind one worker.
    const share = Math.ceil((this.#queue.length - this.#queueHead) / Math.max(1, open.length));
    for (const worker of open) {
      let room = Math.min(share, worker.capacity(now) - worker.inFlight.length);
      const batch: WireTaskEntry[] = [];
      while (room > 0 && this.#queueHead < this.#queue.length) {
        const next = this.#queue[this.#queueHead]!;
        if (next.walltime >= 0) {
          // Runs alone, so that ending the worker on overrun ends nothing else.
          if (batch.length > 0 || worker.inFlight.length > 0) break;
          batch.push(next);
          this.#queueHead++;
          break;
        }
        batch.push(next);
        this.#queueHead++;
        room--;
      }
      if (batch.length > 0) this.#send(worker, batch);
      if (this.#queueHead >= this.#queue.length) break;
    }
    if (this.#queueHead >= this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  /**
   * While a worker is idle, a worker that has made no progress for RECLAIM_AFTER_MS gives
   * back the tasks queued behind its running one, for the idle worker to take. (A worker is
   * sent as many tasks as it ran in a few milliseconds lately: after fast tasks, that can be
   * many slow ones.) Fast tasks are never moved: they finish before the check.
   */
  #rebalance(): void {
    if (this.#stopping || this.#rebalanceTimer !== undefined) return;
    let idle = false;
    for (const worker of this.#workers) {
      if (worker !== undefined && worker.ready && !worker.exited && worker.inFlight.length === 0) { idle = true; break; }
    }
    if (!idle) return;
    const now = Date.now();
    let recheck = false;
    for (const worker of this.#workers) {
      if (worker === undefined || worker.exited || worker.reclaiming !== undefined || worker.inFlight.length < 2) continue;
      if (now - worker.lastProgress < RECLAIM_AFTER_MS) { recheck = true; continue; }
      this.#reclaim(worker, 'here');
    }
    if (recheck) {
      this.#rebalanceTimer = setTimeout(() => { this.#rebalanceTimer = undefined; this.#dispatch(); }, RECLAIM_AFTER_MS);
    }
  }

  /**
   * The interchange has an idle manager: give back what this one cannot start soon — its own
   * queue at once, and the tasks queued behind any worker stuck RECLAIM_AFTER_MS on one task.
   */
  #giveBack(): void {
    const taskIds: number[] = [];
    for (let i = this.#queueHead; i < this.#queue.length; i++) taskIds.push(this.#queue[i]!.taskId);
    this.#queue = [];
    this.#queueHead = 0;
    const now = Date.now();
    for (const worker of this.#workers) {
      if (worker === undefined || worker.exited || worker.reclaiming !== undefined || worker.inFlight.length < 2) continue;
      if (now - worker.lastProgress >= RECLAIM_AFTER_MS) this.#reclaim(worker, 'interchange');
    }
    if (taskIds.length > 0) this.logger.debug(`gave back ${taskIds.length} queued task(s) to the interchange for an idle manager`);
    this.#link.send(idsFrame(MessageType.Returned, taskIds));
    this.#sendCapacity();
    this.#stopIfDrained();
  }

  #reclaim(worker: WorkerProcess, forWhom: 'here' | 'interchange'): void {
    worker.reclaiming = forWhom;
    worker.link.send(idsFrame(MessageType.Reclaim, worker.inFlight.slice(1).map((task) => task.taskId)));
  }

  /** The worker gave back tasks it had not started: first in line again here, or back to the interchange. */
  #onReturned(worker: WorkerProcess, taskIds: number[]): void {
    const forWhom = worker.reclaiming;
    worker.reclaiming = undefined;
    const returned: WireTaskEntry[] = [];
    for (const taskId of taskIds) {
      const task = worker.finish(taskId);
      if (task !== undefined && !this.#stale.delete(task)) returned.push(task);
    }
    if (returned.length > 0) this.logger.debug(`worker ${worker.rank} gave back ${returned.length} queued task(s) for an idle ${forWhom === 'here' ? 'worker' : 'manager'}`);
    if (forWhom === 'interchange') {
      if (returned.length > 0) this.#link.send(idsFrame(MessageType.Returned, returned.map((task) => task.taskId)));
    } else {
      this.#queue.splice(this.#queueHead, 0, ...returned);
    }
    this.#dispatch();
    this.#sendCapacity();
    this.#stopIfDrained();
  }

  #send(worker: WorkerProcess, batch: WireTaskEntry[]): void {
    const codes: CodeEntry[] = [];
    for (const task of batch) {
      if (worker.knownCodes.has(task.codeIndex)) continue;
      const code = this.#codes.get(task.codeIndex);
      if (code === undefined) continue;
      worker.knownCodes.add(task.codeIndex);
      codes.push(code);
    }
    worker.sent(batch);
    worker.link.send(frame(MessageType.Tasks, encodeTaskBatch(codes, batch)));
    const timed = batch[0]!;
    if (timed.walltime >= 0) {
      const bash = this.#codes.get(timed.codeIndex)?.kind === 'bash';
      worker.walltimeTimer = setTimeout(() => {
        if (worker.inFlight[0] !== timed) return;
        // A synchronous loop cannot be interrupted from inside: end the process.
        worker.timedOut = true;
        this.logger.warn(`task ${timed.taskId} exceeded its walltime of ${timed.walltime} s; ending worker ${worker.rank}`);
        worker.kill();
      }, timed.walltime * 1000 + WALLTIME_GRACE_MS + (bash ? 1000 : 0));
    }
  }

  // ------------------------------------------------------------ ending

  #fatal(message: string): void {
    process.stderr.write(`parsl-ts worker-pool (block ${this.options.blockId}): ${message}\n`);
    this.stop(2, message);
  }

  /** Ends every worker (and anything they started), closes the link, resolves `run()`. */
  stop(code: number, reason: string): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.logger.info(`stopping (${reason})`);
    if (code !== 0 && code !== 2) process.stderr.write(`parsl-ts worker-pool (block ${this.options.blockId}): ${reason}\n`);
    for (const timer of this.#timers) clearTimeout(timer);
    clearTimeout(this.#rebalanceTimer);
    this.#link.close(reason);
    // The whole tree in one sweep, before any worker dies: its children would be reparented.
    killDescendants(process.pid);
    for (const worker of this.#workers) worker?.kill();
    const exits = this.#workers.map((worker) => worker === undefined || worker.child.exitCode !== null || worker.child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((done) => worker.child.once('exit', () => done())));
    const deadline = new Promise<void>((done) => setTimeout(done, 2000).unref());
    void Promise.race([Promise.all(exits), deadline]).then(() => {
      this.logger.flushSync();
      this.#exitCode?.(code);
    });
  }
}
