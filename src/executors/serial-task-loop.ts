/**
 * The loop inside every worker (thread or process): run tasks one at a time, in arrival
 * order, and hand results over in batches — at once after a slow task, else when the queue
 * empties. Worker-side: imports nothing from the driver's layers.
 */
import type { WireResult } from './runner.js';

/** Results are handed over at least this often while tasks keep running. */
const FLUSH_AFTER_MS = 1;

export interface TaskLoopSink {
  /** Keeps one result for the next batch. */
  record(result: WireResult): void;
  /** Sends what was recorded; `busyMs` is the time spent running those tasks. */
  flush(busyMs: number): void;
}

/**
 * Returns `enqueue(items)`: queue a batch of tasks; the loop starts whenever it is idle.
 * (A whole batch at once: starting the loop per item would run and send them one by one.)
 */
export function serialTaskLoop<T>(
  run: (item: T) => WireResult | Promise<WireResult>,
  sink: TaskLoopSink,
): (items: Iterable<T>) => void {
  const queue: T[] = [];
  let head = 0;
  let running = false;
  let busyMs = 0;
  let recorded = 0;
  let lastFlush = performance.now();

  function flush(): void {
    if (recorded === 0) return;
    sink.flush(busyMs);
    busyMs = 0;
    recorded = 0;
    lastFlush = performance.now();
  }

  async function drain(): Promise<void> {
    running = true;
    while (head < queue.length) {
      const item = queue[head]!;
      queue[head++] = undefined as T; // release arguments as soon as the task ran
      const started = performance.now();
      let result = run(item);
      if (result instanceof Promise) result = await result;
      sink.record(result);
      recorded++;
      const now = performance.now();
      busyMs += now - started;
      if (now - lastFlush >= FLUSH_AFTER_MS) flush();
    }
    queue.length = 0;
    head = 0;
    running = false;
    flush();
  }

  return (items: Iterable<T>) => {
    for (const item of items) queue.push(item);
    if (!running) void drain();
  };
}
