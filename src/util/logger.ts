/**
 * The run's log file (`runinfo/NNN/parsl.log`). Lines are buffered and written in batches:
 * a line per task event at tens of thousands of tasks a second must not cost a syscall each.
 * Every write is synchronous, so lines land in order even when a full buffer is written
 * from inside a submit loop.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const MAX_BUFFERED_LINES = 8192;
const FLUSH_AFTER_MS = 200;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export class Logger {
  #buffer: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stampMs = 0;
  #stamp = '';

  /** `path` undefined: a logger that drops everything (logging disabled). */
  constructor(readonly path: string | undefined, readonly component = 'parsl') {
    if (path) mkdirSync(dirname(path), { recursive: true });
  }

  log(level: LogLevel, message: string): void {
    if (this.path === undefined) return;
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
