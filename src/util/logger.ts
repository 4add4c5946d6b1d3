/**
 * The run's log: the file `runinfo/NNN/parsl.log` and, when asked, the console (stderr),
 * each with its own level (as Parsl's file and stream loggers). File lines are buffered and
 * written in batches: a line per task event at tens of thousands of tasks a second must not
 * cost a syscall each. Every write is synchronous, so lines land in order even when a full
 * buffer is written from inside a submit loop.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const MAX_BUFFERED_LINES = 8192;
const FLUSH_AFTER_MS = 200;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
/** A console level may also be `OFF` (the default: the console stays quiet). */
export type ConsoleLogLevel = LogLevel | 'OFF';
export const LOG_LEVELS: readonly ConsoleLogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'OFF'];
const RANK: Record<ConsoleLogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, OFF: 100 };

export interface LogLevels {
  /** Lowest level written to the file. Default DEBUG (everything). */
  file?: LogLevel;
  /** Lowest level written to stderr. Default OFF. */
  console?: ConsoleLogLevel;
}

/** Where console lines go: stderr, unless a test or the progress display says otherwise. */
export interface ConsoleSink {
  write(text: string): unknown;
}

export class Logger {
  #buffer: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stampMs = 0;
  #stamp = '';

  readonly #fileRank: number;
  readonly #consoleRank: number;

  /** `path` undefined: no file (logging disabled); the console still gets what its level lets through. */
  constructor(readonly path: string | undefined, readonly component = 'parsl', levels: LogLevels = {}, readonly consoleSink: ConsoleSink = process.stderr) {
    if (path) mkdirSync(dirname(path), { recursive: true });
    this.#fileRank = path === undefined ? RANK.OFF : RANK[levels.file ?? 'DEBUG'];
    this.#consoleRank = RANK[levels.console ?? 'OFF'];
  }

  log(level: LogLevel, message: string): void {
    const rank = RANK[level];
    if (rank >= this.#consoleRank) {
      this.consoleSink.write(`${new Date().toISOString().slice(11, 23)} parsl-ts ${level} ${this.component}: ${message}\n`);
    }
    if (rank < this.#fileRank) return;
    const now = Date.now();
    // Formatting a date costs more than the rest of a task's bookkeeping: once per ms.
    if (now !== this.#stampMs) {
      this.#stampMs = now;
      this.#stamp = `${new Date(now).toISOString()} ${this.component} `;
    }
    this.#buffer.push(this.#stamp + level + ' ' + message + '\n');
    // A driver submitting in a tight loop never yields to the timer: bound the buffer.
    if (this.#buffer.length >= MAX_BUFFERED_LINES) this.flushSync();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flushSync(), FLUSH_AFTER_MS);
      this.#timer.unref();
    }
  }

  debug(message: string): void { this.log('DEBUG', message); }
  info(message: string): void { this.log('INFO', message); }
  warn(message: string): void { this.log('WARNING', message); }
  error(message: string): void { this.log('ERROR', message); }

  /** Writes everything buffered. */
  flushSync(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0 || this.path === undefined) return;
    const text = this.#buffer.join('');
    this.#buffer = [];
    try { appendFileSync(this.path, text); } catch { /* the log is best effort */ }
  }

  async flush(): Promise<void> {
    this.flushSync();
  }
}
