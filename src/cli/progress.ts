/**
 * Progress of a run: a bar redrawn in place on a terminal, plain lines otherwise
 * (at most one a second, only when something changed).
 */
import type { DataFlowKernel, TaskCounts } from '../dataflow/dfk.js';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export function formatCounts(c: TaskCounts, elapsedMs: number): string {
  const ended = c.done + c.failed;
  return `${ended}/${c.submitted} tasks · ${c.done} done · ${c.failed} failed · ${c.running} running · ${c.pending} waiting · ${(elapsedMs / 1000).toFixed(1)}s`;
}

export function formatBar(c: TaskCounts, width: number): string {
  const ended = c.done + c.failed;
  const fraction = c.submitted === 0 ? 0 : ended / c.submitted;
  const filled = Math.round(fraction * width);
  const failedCells = c.submitted === 0 ? 0 : Math.min(filled, Math.ceil((c.failed / c.submitted) * width));
  return `[${'#'.repeat(filled - failedCells)}${'x'.repeat(failedCells)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

export class ProgressReporter {
  #timer: NodeJS.Timeout | undefined;
  #dfk: DataFlowKernel | undefined;
  #last = '';
  #started = performance.now();

  constructor(readonly stream: ProgressStream = process.stderr, readonly intervalMs = stream.isTTY ? 100 : 1000) {}

  attach(dfk: DataFlowKernel): void {
    this.#dfk = dfk;
    this.#started = performance.now();
    this.#timer ??= setInterval(() => this.render(false), this.intervalMs);
    this.#timer.unref();
  }

  render(final: boolean): void {
    const dfk = this.#dfk;
    if (!dfk) return;
    const counts = dfk.counts();
    const text = formatCounts(counts, performance.now() - this.#started);
    if (this.stream.isTTY) {
      const line = `${formatBar(counts, 30)} ${text}`.slice(0, (this.stream.columns ?? 120) - 1);
      this.stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else {
      const key = `${counts.submitted}/${counts.done}/${counts.failed}/${counts.running}`;
      if (key === this.#last && !final) return;
      this.#last = key;
      this.stream.write(`parsl-ts: ${text}\n`);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.render(true);
    this.#dfk = undefined;
  }
}
