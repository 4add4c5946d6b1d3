/**
 * Progress of a run, with tasks waiting (for dependencies), queued (at an executor, not
 * started), running, done and failed apart. On a terminal: a bar redrawn in place, cleared
 * before the workflow's own output (which then starts on a clean line). Off a terminal:
 * a plain line when the run's state changes (the first task starts, a task fails, all have
 * ended) and otherwise at most every 10 s.
 */
import type { TaskCounts } from '../dataflow/dfk.js';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export interface CountsSource {
  counts(): TaskCounts;
}

export interface ProgressOptions {
  /** Milliseconds between checks: redraws on a terminal, state checks off one. */
  intervalMs?: number;
  /** Off a terminal: milliseconds between lines when nothing but the numbers changed. */
  quietMs?: number;
  /** Streams whose writes clear the bar first (the workflow's stdout and stderr). */
  capture?: NodeJS.WriteStream[];
}

export function formatCounts(c: TaskCounts, elapsedMs: number): string {
  const ended = c.done + c.failed;
  return `${ended}/${c.submitted} tasks · ${c.done} done · ${c.failed} failed · ${c.running} running · ${c.queued} queued · ${c.pending} waiting · ${(elapsedMs / 1000).toFixed(1)}s`;
}

export function formatBar(c: TaskCounts, width: number): string {
  const ended = c.done + c.failed;
  const fraction = c.submitted === 0 ? 0 : ended / c.submitted;
  const filled = Math.round(fraction * width);
  const failedCells = c.submitted === 0 ? 0 : Math.min(filled, Math.ceil((c.failed / c.submitted) * width));
  return `[${'#'.repeat(filled - failedCells)}${'x'.repeat(failedCells)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

/** The run's state as a plain-line display reports it at once when it changes. */
function stateOf(c: TaskCounts): string {
  const phase = c.submitted === 0 ? 'none'
    : c.done + c.failed === c.submitted ? 'ended'
      : c.running > 0 ? 'running' : c.queued > 0 ? 'queued' : 'waiting';
  return `${phase}/${c.failed}`;
}

export class ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #write: (text: string) => void;
  readonly #intervalMs: number;
  readonly #quietMs: number;
  readonly #capture: NodeJS.WriteStream[];
  #restore: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #source: CountsSource | undefined;
  #started = performance.now();
  /** Terminal: the bar is on screen; the workflow left a line unfinished. */
  #shown = false;
  #lineOpen = false;
  /** Plain lines: what the last one said, and when. */
  #lastState = '';
  #lastNumbers = '';
  #lastLineAt = 0;

  constructor(stream: ProgressStream = process.stderr, options: ProgressOptions = {}) {
    this.#stream = stream;
    this.#write = stream.write.bind(stream) as (text: string) => void;
    this.#intervalMs = options.intervalMs ?? (stream.isTTY ? 100 : 1000);
    this.#quietMs = options.quietMs ?? 10_000;
    this.#capture = options.capture ?? (stream.isTTY ? [process.stdout, process.stderr] : []);
  }

  attach(source: CountsSource): void {
    this.#source = source;
    this.#started = performance.now();
    this.#timer ??= setInterval(() => this.render(false), this.#intervalMs);
    this.#timer.unref();
    if (this.#stream.isTTY && this.#restore.length === 0) for (const output of this.#capture) this.#interpose(output);
  }

  /** Clears the bar before anything else is written to `output`. */
  #interpose(output: NodeJS.WriteStream): void {
    const original = output.write;
    const clearFirst = (...args: unknown[]): boolean => {
      this.#clear();
      const result = (original as (...a: unknown[]) => boolean).apply(output, args);
      const chunk = args[0];
      if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        if (text.length > 0) this.#lineOpen = !text.endsWith('\n');
      }
      return result;
    };
    output.write = clearFirst as typeof output.write;
    this.#restore.push(() => { output.write = original; });
  }

  #clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.#write('\r\x1b[2K');
  }

  render(final: boolean): void {
    const source = this.#source;
    if (!source) return;
    const counts = source.counts();
    const text = formatCounts(counts, performance.now() - this.#started);
    if (this.#stream.isTTY) {
      // Never draw over a line the workflow has not finished.
      if (this.#lineOpen) {
        if (!final) return;
        this.#write('\n');
        this.#lineOpen = false;
      }
      const width = (this.#stream.columns || 120) - 1;
      this.#write(`\r\x1b[2K${`${formatBar(counts, 30)} ${text}`.slice(0, width)}${final ? '\n' : ''}`);
      this.#shown = !final;
      return;
    }
    if (counts.submitted === 0 && !final) return;
    const state = stateOf(counts);
    const numbers = `${counts.submitted}/${counts.done}/${counts.failed}/${counts.running}/${counts.queued}/${counts.pending}`;
    const now = performance.now();
    const due = state !== this.#lastState || (numbers !== this.#lastNumbers && now - this.#lastLineAt >= this.#quietMs);
    if (!final && !due) return;
    if (final && numbers === this.#lastNumbers && state === this.#lastState && this.#lastLineAt > 0) return;
    this.#lastState = state;
    this.#lastNumbers = numbers;
    this.#lastLineAt = now;
    this.#write(`parsl-ts: ${text}\n`);
  }

  /** Removes the display (the last state stays on screen), restores the streams. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#source) this.render(true);
    for (const restore of this.#restore) restore();
    this.#restore = [];
    this.#source = undefined;
  }
}
