/**
 * Driver memory per pending task: submit N no-op tasks in one loop (all pending at its end),
 * measure the heap, run them, drop the futures and measure again (records released).
 * Each case runs in a fresh process, so that its peak RSS is its own.
 * Runnable alone: `node --import tsx bench/memory.ts [N]`; `bench/run.ts` calls `memoryBench`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { app, load, ThreadPoolExecutor, type AppFuture } from '../src/index.js';

export interface MemoryRow {
  case: string;
  tasks: number;
  /** Heap + external growth per pending task, bytes. */
  bytesPerPendingTask: number;
  /** Growth of the resident set while the tasks were pending, bytes per task. */
  rssPerPendingTask: number;
  peakRssMiB: number;
  /** Heap + external left after the run and the futures were dropped, bytes per task. */
  bytesPerTaskAfter: number;
  tasksPerSecond: number;
}

const noop = app(function noop() { return 0; });

function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heap(gc: () => void): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
}

async function measure(tasks: number, logging: boolean): Promise<MemoryRow> {
  const gc = collector();
  const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-memory-'));
  const dfk = await load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })],
    runDir: join(dir, 'runinfo'), initializeLogging: logging, strategy: 'none',
  });
  try {
    await Promise.all(Array.from({ length: 1000 }, () => noop()));
    const heapBefore = heap(gc);
    const rssBefore = process.memoryUsage().rss;
    let futures: AppFuture<number>[] | undefined = new Array(tasks);
    const start = performance.now();
    for (let i = 0; i < tasks; i++) futures[i] = noop();
    // Every task is pending here: no result can arrive while the loop holds the thread.
    const heapPending = heap(gc);
    const rssPending = process.memoryUsage().rss;
    await Promise.all(futures);
    const seconds = (performance.now() - start) / 1000;
    futures = undefined;
    await dfk.waitForCurrentTasks();
    await dfk.logger.flush();
    const heapAfter = heap(gc);
    return {
      case: `${tasks.toLocaleString('en-US')} no-op tasks, logging ${logging ? 'on' : 'off'}`,
      tasks,
      bytesPerPendingTask: Math.round((heapPending - heapBefore) / tasks),
      rssPerPendingTask: Math.round((rssPending - rssBefore) / tasks),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      bytesPerTaskAfter: Math.round(((heapAfter - heapBefore) / tasks) * 10) / 10,
      tasksPerSecond: Math.round(tasks / seconds),
    };
  } finally {
    await dfk.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const CASE_FLAG = '--memory-case';

/** Runs the memory cases (logging on, then off), each in a fresh process; 1,000,000 tasks by default. */
export async function memoryBench(tasks = 1_000_000): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const logging of ['on', 'off']) {
    const output = execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, CASE_FLAG, logging, String(tasks)], {
      encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'],
    });
    rows.push(JSON.parse(output.trim().split('\n').pop()!) as MemoryRow);
  }
  return rows;
}

export function printMemoryTable(rows: MemoryRow[]): void {
  const header = ['case', 'bytes/pending task (heap)', 'bytes/pending task (RSS)', 'peak RSS MiB', 'bytes/task after release', 'tasks/s'];
  const lines = rows.map((r) => [r.case, String(r.bytesPerPendingTask), String(r.rssPerPendingTask), String(r.peakRssMiB), String(r.bytesPerTaskAfter), String(r.tasksPerSecond)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const line of lines) console.log(format(line));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === CASE_FLAG) {
    console.log(JSON.stringify(await measure(Number(process.argv[4]), process.argv[3] === 'on')));
  } else {
    printMemoryTable(await memoryBench(Number(process.argv[2] ?? 1_000_000)));
  }
}
