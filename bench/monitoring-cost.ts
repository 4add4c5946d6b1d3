/**
 * What monitoring costs: no-op throughput (100,000 tasks, first submit to last result) of
 * the thread executor and of HTEX (2 workers, LocalProvider) with monitoring off and on
 * (SQLite in the run dir, resource sampling on), seven runs of each alternated so that a
 * loaded machine affects both alike. The bound: on stays within 25% of off.
 * Runnable alone: `node --conditions=development --import tsx bench/monitoring-cost.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HighThroughputExecutor, load, LocalProvider, ThreadPoolExecutor, type Executor } from '../src/index.js';
import { median, printTable, type BenchRow } from './table.js';
import { noop } from './threads.js';

async function throughput(makeExecutor: () => Executor, monitoring: boolean, n: number, warmup: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-bench-monitoring-'));
  const dfk = await load({
    executors: [makeExecutor()], runDir: join(dir, 'runinfo'), strategy: 'none',
    monitoring: monitoring ? {} : false,
  });
  try {
    await Promise.all(Array.from({ length: warmup }, () => noop()));
    const started = performance.now();
    const futures = [];
    for (let i = 0; i < n; i++) futures.push(noop());
    await Promise.all(futures);
    return n / ((performance.now() - started) / 1000);
  } finally {
    await dfk.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function compare(name: string, makeExecutor: () => Executor, times: number, n: number, warmup: number): Promise<BenchRow[]> {
  const off: number[] = [];
  const on: number[] = [];
  // Warm-up runs of both, so that neither pays for the JIT's first look at its code.
  await throughput(makeExecutor, false, n, warmup);
  await throughput(makeExecutor, true, n, warmup);
  for (let i = 0; i < times; i++) {
    off.push(await throughput(makeExecutor, false, n, warmup));
    on.push(await throughput(makeExecutor, true, n, warmup));
  }
  const cost = 100 * (1 - median(on) / median(off));
  return [
    { name: `monitoring: ${name} no-op, monitoring off`, median: median(off), unit: 'tasks/s', higherIsBetter: true, runs: off },
    { name: `monitoring: ${name} no-op, monitoring on`, median: median(on), unit: 'tasks/s', higherIsBetter: true, runs: on },
    { name: `monitoring: ${name} throughput cost`, median: cost, unit: '%', higherIsBetter: false, target: 25, runs: [cost] },
  ];
}

export async function monitoringCostBenchmarks(times = 7): Promise<BenchRow[]> {
  return [
    ...await compare('threads', () => new ThreadPoolExecutor({ maxThreads: 2 }), times, 100_000, 1000),
    ...await compare('htex', () => new HighThroughputExecutor({ label: 'htex', maxWorkersPerNode: 2, provider: new LocalProvider({ initBlocks: 1 }) }), times, 100_000, 2000),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printTable(await monitoringCostBenchmarks());
