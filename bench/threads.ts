/**
 * ThreadPoolExecutor benchmarks (DESIGN §5): no-op throughput, sequential round trip,
 * a chain of 2,000 dependent tasks, fan-out 5,000 + fan-in, 200 × 50 ms sleeps.
 * Each measurement loads a fresh DFK with 2 threads and logging as by default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, load, ThreadPoolExecutor, type DataFlowKernel } from '../src/index.js';
import { benchRow, percentile, sequentialLatencies, type BenchRow } from './table.js';

export const noop = app(function noop() { return 0; });
export const inc = app(function inc(x: number) { return x + 1; });
export const count = app(function count(values: number[]) { return values.length; });
/**
 * Blocks its worker for `ms`, like Python's `time.sleep` in Parsl's benchmark. (A
 * `setTimeout` sleep overshoots by up to 1 ms in Node's timer granularity, which would
 * measure the clock, not the scheduler.)
 */
export const sleep = app(function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
});

async function withThreads<T>(body: (dfk: DataFlowKernel) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-bench-'));
  const dfk = await load({ executors: [new ThreadPoolExecutor({ maxThreads: 2 })], runDir: join(dir, 'runinfo') });
  try {
    return await body(dfk);
  } finally {
    await dfk.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Tasks per second for `n` no-op tasks, first submit to last result (after a warm-up batch). */
export async function noopThroughput(n = 50_000): Promise<number> {
  return withThreads(async () => {
    await Promise.all(Array.from({ length: 1000 }, () => noop()));
    const started = performance.now();
    const futures = [];
    for (let i = 0; i < n; i++) futures.push(noop());
    await Promise.all(futures);
    return n / ((performance.now() - started) / 1000);
  });
}

/** Milliseconds from `load` to the last result of 10,000 no-op tasks (issue 2's figure). */
export async function tenThousandFromLoad(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-bench-'));
  const started = performance.now();
  const dfk = await load({ executors: [new ThreadPoolExecutor({ maxThreads: 2 })], runDir: join(dir, 'runinfo') });
  const futures = [];
  for (let i = 0; i < 10_000; i++) futures.push(noop());
  await Promise.all(futures);
  const elapsed = performance.now() - started;
  await dfk.cleanup();
  rmSync(dir, { recursive: true, force: true });
  return elapsed;
}

/** Sequential submit→result latencies in ms. */
export async function roundTrips(n = 2000): Promise<number[]> {
  return withThreads(() => sequentialLatencies(() => noop(), n, 200));
}

export async function chain(n = 2000): Promise<number> {
  return withThreads(async () => {
    const started = performance.now();
    let future = inc(0);
    for (let i = 1; i < n; i++) future = inc(future);
    const last = await future;
    if (last !== n) throw new Error(`chain ended at ${last}, expected ${n}`);
    return (performance.now() - started) / 1000;
  });
}

export async function fanOutFanIn(n = 5000): Promise<number> {
  return withThreads(async () => {
    const started = performance.now();
    const total = await count(Array.from({ length: n }, (_, i) => inc(i)));
    if (total !== n) throw new Error(`fan-in saw ${total} values, expected ${n}`);
    return (performance.now() - started) / 1000;
  });
}

/** Percent of ideal for 200 × 50 ms sleeps on 2 workers (ideal 5 s). */
export async function sleepEfficiency(tasks = 200, ms = 50, workers = 2): Promise<number> {
  return withThreads(async () => {
    // Both workers import this module first (by reference): not part of the measurement.
    await Promise.all(Array.from({ length: workers }, () => sleep(1)));
    const started = performance.now();
    await Promise.all(Array.from({ length: tasks }, () => sleep(ms)));
    const ideal = (tasks * ms) / workers;
    return (100 * ideal) / (performance.now() - started);
  });
}

export async function threadBenchmarks(times = 3): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(await benchRow('threads: no-op throughput (50,000 tasks)', 'tasks/s', true, () => noopThroughput(), { times, parsl: 8040, target: 78_500 }));
  rows.push(await benchRow('threads: 10,000 no-op tasks from load()', 'ms', false, tenThousandFromLoad, { times }));
  const latencies = await roundTrips();
  rows.push({ name: 'threads: round trip p50', median: percentile(latencies, 50), unit: 'ms', higherIsBetter: false, runs: [percentile(latencies, 50)] });
  rows.push({ name: 'threads: round trip p99', median: percentile(latencies, 99), unit: 'ms', higherIsBetter: false, runs: [percentile(latencies, 99)] });
  rows.push(await benchRow('threads: chain of 2,000', 's', false, () => chain(), { times, parsl: 3.1, target: 0.6 }));
  rows.push(await benchRow('threads: fan-out 5,000 + fan-in', 's', false, () => fanOutFanIn(), { times, parsl: 5.8, target: 0.7 }));
  rows.push(await benchRow('threads: 200 × 50 ms sleeps, 2 workers', '% of ideal', true, () => sleepEfficiency(), { times: 1, warmup: false, parsl: 94.4, target: 98 }));
  return rows;
}
