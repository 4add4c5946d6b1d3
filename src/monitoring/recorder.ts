/**
 * The monitoring recorder: the DataFlowKernel and the executors report events to it. An
 * event only appends a few numbers to a buffer (see event-stream.ts); every ~100 ms the
 * buffer is sent to the writer process, which builds the rows and writes them. Nothing
 * waits on the database, and nothing flows back into the DFK or the executors. See
 * docs/monitoring.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import type { Logger } from '../util/logger.js';
import { ownModuleUrl, processArgsFor } from '../util/own-modules.js';
import type { ExecutorMonitor, NodeReport, TryPlacement } from './events.js';
import { EventBuffer, EventKind, STATE_CODES } from './event-stream.js';
import { isPostgresUrl, sqlitePath } from './open-store.js';
import { redactUrl } from './postgres-store.js';
import type { TaskStatusName } from './schema.js';
import type { WriterReply, WriterRequest, WriterStart } from './writer-protocol.js';

const [WRITER_SCRIPT, ...WRITER_ARGS] = processArgsFor(ownModuleUrl('./writer.js', import.meta.url));
const FLUSH_INTERVAL_MS = 100;
/** `load()` waits at most this long for the writer process to start. */
const WRITER_START_WAIT_MS = 5000;
/** Events are handed over early once this many wait. */
const EARLY_FLUSH_EVENTS = 50_000;
/** How long the writer process may take to exit after its last answer. */
const EXIT_WAIT_MS = 2000;
/** cleanup() gives up on the writer after this long without progress. */
const CLOSE_NO_PROGRESS_MS = 3000;

export interface RecorderOptions {
  /** A path (SQLite) or `sqlite:///…` / `postgresql://…` URL. */
  dbUrl: string;
  runId: string;
  runDir: string;
  workflowName?: string | undefined;
  workflowVersion?: string | undefined;
  /** Seconds between resource samples; 0: no sampling. */
  resourceInterval: number;
  logger: Logger;
}

function errorText(error: Error): string {
  return `${error.name}: ${error.message}`;
}

export class Recorder implements ExecutorMonitor {
  readonly runId: string;
  readonly resourceInterval: number;
  readonly dbUrl: string;
  #logger: Logger;
  #writer: ChildProcess;
  #writerAlive = true;
  #timer: NodeJS.Timeout;
  #buffer = new EventBuffer();
  #earlyFlush = false;
  #placements = new WeakMap<TryPlacement, number>();
  #nextPlacement = 0;
  #progress = 0;
  #failing: string | undefined;
  #droppedRows = 0;
  #closed = false;
  #onWriterEvent: (() => void) | undefined;
  #markStarted: () => void = () => {};
  /**
   * Resolves once the writer process runs (or has failed, or after WRITER_START_WAIT_MS):
   * `load()` waits for it, so its start-up is paid there, not by the first tasks.
   */
  readonly started: Promise<void> = new Promise((resolve) => { this.#markStarted = resolve; });

  constructor(options: RecorderOptions) {
    this.runId = options.runId;
    this.dbUrl = options.dbUrl;
    this.resourceInterval = options.resourceInterval;
    this.#logger = options.logger;
    let user = 'unknown';
    try { user = userInfo().username; } catch { /* no passwd entry */ }
    const start: WriterStart = {
      dbUrl: options.dbUrl,
      info: {
        runId: options.runId, workflowName: options.workflowName ?? null, workflowVersion: options.workflowVersion ?? null,
        startedAt: Date.now(), host: hostname(), user, runDir: options.runDir, resourceInterval: options.resourceInterval,
      },
    };
    // Its own flags only (not the driver's --inspect, --cpu-prof, loaders); stdout unused,
    // stderr shared so that a crash of the writer is seen.
    this.#writer = fork(WRITER_SCRIPT!, WRITER_ARGS, {
      execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // Referenced until it has started: load() waits for that.
    void this.started.then(() => { if (!this.#closed) this.#unref(); });
    this.#writer.on('message', (reply: WriterReply) => this.#onReply(reply));
    this.#writer.on('error', (error) => {
      // The process could not be started (or signalled): nothing is recorded.
      this.#writerAlive = false;
      this.#logger.error(`monitoring: the database writer failed: ${error.message}; nothing more is recorded`);
      this.#markStarted();
      this.#onWriterEvent?.();
    });
    this.#writer.on('exit', (code, signal) => {
      if (this.#writerAlive && !this.#closed) {
        this.#logger.error(`monitoring: the database writer exited (${signal ?? `code ${code}`}); nothing more is recorded`);
      }
      this.#writerAlive = false;
      this.#markStarted();
      this.#onWriterEvent?.();
    });
    this.#send({ type: 'start', start });
    setTimeout(() => this.#markStarted(), WRITER_START_WAIT_MS).unref();
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  /** The database, for log lines (without a password). */
  get description(): string {
    return isPostgresUrl(this.dbUrl) ? redactUrl(this.dbUrl) : sqlitePath(this.dbUrl);
  }

  #event(kind: EventKind, taskId: number, tryId: number, time: number, argument: number): void {
    this.#buffer.push(kind, taskId, tryId, time, argument);
    if (!this.#earlyFlush && this.#buffer.count >= EARLY_FLUSH_EVENTS) {
      this.#earlyFlush = true;
      setImmediate(() => { this.#earlyFlush = false; this.flush(); });
    }
  }

  // ------------------------------------------------------------ DFK events

  taskSubmitted(taskId: number, funcName: string, memoize: boolean, invokedAt: number): void {
    this.#event(EventKind.Submitted, taskId, memoize ? 1 : 0, invokedAt, this.#buffer.stringId(funcName));
  }

  /** The tasks a task waits on (undefined: a promise that is no task's future). */
  taskDepends(taskId: number, depends: (number | undefined)[]): void {
    const ids = [...new Set(depends.filter((id): id is number => id !== undefined))];
    if (ids.length > 0) this.#buffer.side({ kind: 'depends', taskId, depends: ids }, taskId);
  }

  /** Keyword-given files and streams of a task (text, as Parsl shows them). */
  taskFiles(taskId: number, files: { inputs?: string; outputs?: string; stdout?: string; stderr?: string }): void {
    this.#buffer.side({ kind: 'files', taskId, ...files }, taskId);
  }

  taskHashsum(taskId: number, hashsum: string): void {
    this.#buffer.side({ kind: 'hashsum', taskId, hashsum }, taskId);
  }

  /** A state change: a `status` row, and the task's latest state. */
  taskState(taskId: number, tryId: number, state: TaskStatusName, time: number): void {
    this.#event(EventKind.State, taskId, tryId, time, STATE_CODES[state]!);
  }

  /** A failed try counted against the retry budget. */
  taskFailCost(taskId: number, failCount: number, failCost: number): void {
    this.#buffer.side({ kind: 'failCost', taskId, failCount, failCost }, taskId);
  }

  /** A try was handed to an executor. */
  tryLaunched(taskId: number, tryId: number, executor: string, time: number): void {
    this.#event(EventKind.Launched, taskId, tryId, time, this.#buffer.stringId(executor));
  }

  /** The tasks a join app's try waits on. */
  tryJoins(taskId: number, tryId: number, joins: number[]): void {
    this.#buffer.side({ kind: 'joins', taskId, tryId, joins }, taskId);
  }

  /** A try ended: with `error` when it failed. */
  tryReturned(taskId: number, tryId: number, time: number, error: Error | undefined): void {
    const errorIndex = error === undefined ? -1 : this.#buffer.sideIndex({ kind: 'error', text: errorText(error) });
    this.#event(EventKind.Returned, taskId, tryId, time, errorIndex);
  }

  // ------------------------------------------------------------ executor events

  /** `placement` objects are best reused by the executor: each distinct one is sent once. */
  tryRunning(taskId: number, tryId: number, time: number, placement: TryPlacement): void {
    let id = this.#placements.get(placement);
    if (id === undefined) {
      id = this.#nextPlacement++;
      this.#placements.set(placement, id);
      this.#buffer.side({
        kind: 'placement', id, hostname: placement.hostname ?? null, blockId: placement.blockId ?? null,
        managerId: placement.managerId ?? null, workerId: placement.workerId ?? null,
      });
    }
    // A worker's clock may be ahead of the driver's: a try started no later than we heard of it.
    this.#event(EventKind.Running, taskId, tryId, Math.min(time, Date.now()), id);
  }

  resourceSamples(flat: readonly number[], host: string): void {
    this.#buffer.side({ kind: 'samples', flat: [...flat], hostname: host });
  }

  blockState(executorLabel: string, blockId: string, jobId: string | undefined, state: string, message: string | undefined, time: number): void {
    this.#buffer.side({ kind: 'block', executorLabel, blockId, jobId: jobId ?? null, state, message: message ?? null, time });
  }

  node(report: NodeReport): void {
    this.#buffer.side({ kind: 'node', report: { ...report }, time: Date.now() });
  }

  // ------------------------------------------------------------ to the writer

  /** Hands the events so far to the writer process. */
  flush(): void {
    const batch = this.#buffer.take();
    if (batch === undefined || !this.#writerAlive) return;
    this.#send({ type: 'events', batch });
  }

  #send(request: WriterRequest): void {
    if (!this.#writer.connected) return;
    // An EPIPE after the writer died arrives here (its exit is reported by the 'exit' handler).
    this.#writer.send(request, (error) => { if (error) this.#writerAlive = false; });
  }

  /** The writer process never keeps the driver alive (unless closing). */
  #unref(): void {
    this.#writer.unref();
    (this.#writer.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }

  #ref(): void {
    this.#writer.ref();
    (this.#writer.channel as { ref?: () => void } | null | undefined)?.ref?.();
  }

  #onReply(reply: WriterReply): void {
    switch (reply.type) {
      case 'started':
        this.#markStarted();
        break;
      case 'written':
        this.#progress++;
        break;
      case 'error':
        if (this.#failing === undefined) {
          this.#logger.error(`monitoring: cannot write to the database ${this.description}: ${reply.message}; `
            + 'the workflow goes on and the recorder keeps retrying (further errors are not logged until it recovers)');
        }
        this.#failing = reply.message;
        break;
      case 'recovered':
        this.#logger.info(`monitoring: the database ${this.description} is written again`);
        this.#failing = undefined;
        break;
      case 'dropped':
        this.#droppedRows += reply.rows;
        this.#logger.warn(`monitoring: ${reply.rows} row(s) dropped (${reply.reason})`);
        break;
      case 'closed':
        this.#writerAlive = false;
        break;
    }
    this.#onWriterEvent?.();
  }

  /**
   * Records the end of the run, hands over what is left and waits for the writer to write
   * it; gives up (saying so) when the writer makes no progress for CLOSE_NO_PROGRESS_MS.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.flush();
    if (this.#writerAlive) await this.#writeTheRest();
    if (this.#writerAlive) {
      this.#logger.error(`monitoring: gave up waiting for the database ${this.description}`
        + `${this.#failing ? ` (${this.#failing})` : ''}: the rows of this run not written yet are lost`);
    }
    await this.#ended();
    if (this.#droppedRows > 0) this.#logger.warn(`monitoring: ${this.#droppedRows} row(s) of this run were dropped in all`);
  }

  /** Asks the writer to write everything and waits until it has, or makes no progress for CLOSE_NO_PROGRESS_MS. */
  async #writeTheRest(): Promise<void> {
    this.#ref();
    this.#send({ type: 'close', time: Date.now() });
    let lastProgress = Date.now();
    let seen = this.#progress;
    await new Promise<void>((resolve) => {
      const finish = () => { clearInterval(poll); this.#onWriterEvent = undefined; resolve(); };
      const check = () => {
        if (!this.#writerAlive) { finish(); return; }
        if (this.#progress !== seen) { seen = this.#progress; lastProgress = Date.now(); }
        if (Date.now() - lastProgress >= CLOSE_NO_PROGRESS_MS) finish();
      };
      const poll = setInterval(check, 100);
      this.#onWriterEvent = check;
    });
  }

  /** Waits for the writer process to exit, ending it if it does not by itself. */
  async #ended(): Promise<void> {
    const writer = this.#writer;
    if (writer.exitCode !== null || writer.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => writer.once('exit', () => resolve()));
    // After 'closed' it exits by itself; one that gave up waiting on the database is ended.
    if (this.#writerAlive || !writer.connected) writer.kill('SIGKILL');
    const timer = setTimeout(() => writer.kill('SIGKILL'), EXIT_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }
}
