/**
 * The run's log file (`runinfo/NNN/parsl.log`). Lines are buffered and written in batches:
 * a line per task event at tens of thousands of tasks a second must not cost a syscall each.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export class Logger {
  #buffer: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
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
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flushAsync(), 200);
      this.#timer.unref();
    }
  }

  debug(message: string): void { this.log('DEBUG', message); }
  info(message: string): void { this.log('INFO', message); }
  warn(message: string): void { this.log('WARNING', message); }
  error(message: string): void { this.log('ERROR', message); }

  #takeBuffer(): string {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const text = this.#buffer.join('');
    this.#buffer = [];
    return text;
  }

  #flushAsync(): void {
    const text = this.#takeBuffer();
    if (text.length === 0 || this.path === undefined) return;
    const path = this.path;
    this.#writing = this.#writing.then(() => appendFile(path, text)).catch(() => { /* log is best effort */ });
  }

  /** Writes everything buffered; safe to call from exit paths. */
  flushSync(): void {
    const text = this.#takeBuffer();
    if (text.length === 0 || this.path === undefined) return;
    try { appendFileSync(this.path, text); } catch { /* log is best effort */ }
  }

  async flush(): Promise<void> {
    this.#flushAsync();
    await this.#writing;
  }
}
