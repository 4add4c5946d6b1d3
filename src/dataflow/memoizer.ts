/**
 * The app cache and its checkpoints. The table maps a cache key to the future of the first
 * task with that key (so equal calls made while it runs wait for it, and a failure is
 * reused in memory), or to a result loaded from a checkpoint of an earlier run.
 * Only apps with `cache: true` take part, and only when the config's `appCache` is on.
 */
import type { CheckpointMode, ResolvedConfig } from '../config/config.js';
import type { Logger } from '../util/logger.js';
import type { AppFuture } from './app-future.js';
import { CheckpointWriter, encodeRecord, readCheckpoint } from './checkpoint.js';

/** A result read from a checkpoint file. */
export class CheckpointedResult {
  constructor(readonly value: unknown, readonly taskId: number, readonly from: string) {}
}

export type MemoEntry = AppFuture<unknown> | CheckpointedResult;

export class Memoizer {
  #table = new Map<string, MemoEntry>();
  #writer: CheckpointWriter | undefined;
  #mode: CheckpointMode | null;
  #timer: NodeJS.Timeout | undefined;
  /** Whether the last checkpoint write failed. */
  #failing = false;
  #warnedOnConsole = false;

  constructor(config: ResolvedConfig, runDir: string, readonly logger: Logger) {
    this.#mode = config.checkpointMode;
    if (this.#mode !== null) this.#writer = new CheckpointWriter(runDir);
    for (const path of config.checkpointFiles) this.#load(path);
    if (this.#mode === 'periodic') {
      this.#timer = setInterval(() => this.checkpoint(), config.checkpointPeriod * 1000);
      this.#timer.unref();
    }
  }

  #load(path: string): void {
    const records = readCheckpoint(path, this.logger);
    // Later records (and later files) win: the most recent result of a key is used.
    for (const record of records) this.#table.set(record.key, new CheckpointedResult(record.value, record.taskId, path));
    this.logger.info(`checkpoint ${path}: loaded ${records.length} results`);
  }

  /** Results known (loaded or computed in this run). */
  get size(): number {
    return this.#table.size;
  }

  /** The checkpoint directory of this run, if checkpointing is on. */
  get checkpointDir(): string | undefined {
    return this.#writer?.dir;
  }

  lookup(key: string): MemoEntry | undefined {
    return this.#table.get(key);
  }

  /** The first task with this key: later equal calls reuse its outcome. */
  register(key: string, future: AppFuture<unknown>): void {
    this.#table.set(key, future);
  }

  /** Drops the entry of a task that will never have an outcome worth reusing (cancelled). */
  forget(key: string, future: AppFuture<unknown>): void {
    if (this.#table.get(key) === future) this.#table.delete(key);
  }

  /** Called before the future of a successful cached task settles: task_exit writes now. */
  recordSuccess(key: string, value: unknown, taskId: number, app: string): void {
    const writer = this.#writer;
    if (writer === undefined) return;
    let bytes: Buffer;
    try {
      bytes = encodeRecord({ key, value, taskId, app, time: Date.now() });
    } catch (error) {
      this.logger.warn(`Task ${taskId}: result of app ${app} cannot be checkpointed: ${(error as Error).message}`);
      return;
    }
    if (this.#mode === 'task_exit') {
      try {
        writer.write(bytes);
        this.#writeSucceeded();
      } catch (error) {
        this.#writeFailed(error as Error);
      }
    } else {
      writer.queue(bytes);
    }
  }

  /** Writes every result not yet in the checkpoint file; returns the checkpoint directory. */
  checkpoint(): string | undefined {
    const writer = this.#writer;
    if (writer === undefined) return undefined;
    try {
      // The returned directory must exist, so that a later run may name it in checkpointFiles.
      writer.ensureDir();
      const count = writer.flush();
      if (count > 0) this.logger.info(`checkpoint: wrote ${count} results to ${writer.path} (${writer.written} in all)`);
      this.#writeSucceeded();
    } catch (error) {
      this.#writeFailed(error as Error);
    }
    return writer.dir;
  }

  #writeSucceeded(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.logger.info(`checkpoint: writing to ${this.#writer!.path} works again; every result held back is written`);
  }

  /** Logged each time; on the console once per run, since it goes on for every later result. */
  #writeFailed(error: Error): void {
    const writer = this.#writer!;
    this.#failing = true;
    const held = `${writer.queued} result(s) held in memory, to be written with the next checkpoint write`;
    this.logger.error(`checkpoint write to ${writer.path} failed: ${error.message}; ${held}`);
    if (this.#warnedOnConsole) return;
    this.#warnedOnConsole = true;
    console.warn(`parsl-ts: WARNING: checkpoints cannot be written to ${writer.path} (${error.message}). `
      + 'Results are held in memory and written once writing works again; a run resumed before that recomputes them. '
      + 'This is reported once; parsl.log has every failed write.');
  }

  /** At cleanup: a last checkpoint, stop the timer, close the file. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.checkpoint();
    this.#writer?.close();
  }
}
