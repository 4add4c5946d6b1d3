/**
 * Staging of 1,000 small HTTP files from a local server: each file is the input of one app,
 * staged by the default separate-task provider (batched, a few transfers at once per
 * worker) and by in-task staging; compared with a plain `curl` loop fetching the same files.
 * Run alone: `npm run bench -- staging`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, File, HTTPInTaskStaging, load, NoOpFileStaging, ThreadPoolExecutor, type StagingProvider } from '../src/index.js';
import { median, type BenchRow } from './table.js';

const run = promisify(execFile);
const FILES = Number(process.env.STAGING_BENCH_FILES ?? 1000);
const RUNS = 3;

/** An app that only needs its input to be there. */
export const sizeOf = app(async function sizeOf(kw: { inputs: File[] }) {
  const { stat } = await import('node:fs/promises');
  return (await stat(kw.inputs[0]!.filepath)).size;
});

async function stageAll(base: string, dir: string, storageAccess: StagingProvider[] | undefined): Promise<number> {
  const executor = new ThreadPoolExecutor({ label: 'threads', maxThreads: 2, ...(storageAccess ? { storageAccess } : {}) });
  const cwd = process.cwd();
  process.chdir(dir);
  const dfk = await load({ executors: [executor], runDir: join(dir, 'runinfo') });
  try {
    const started = performance.now();
    const sizes = await Promise.all(Array.from({ length: FILES }, (_, i) => sizeOf({ inputs: [new File(`${base}/f${i}.txt`)] })));
    const elapsed = performance.now() - started;
    if (sizes.some((size) => size !== 32)) throw new Error('a staged file has the wrong size');
    return elapsed;
  } finally {
    await dfk.cleanup();
    process.chdir(cwd);
  }
}

/** Asynchronous: the server answering curl lives in this process. */
async function curlLoop(base: string, dir: string): Promise<number> {
  const started = performance.now();
  await run('bash', ['-c', `for i in $(seq 0 ${FILES - 1}); do curl -sf -o f$i.txt ${base}/f$i.txt || exit 1; done`], { cwd: dir });
  return performance.now() - started;
}

export async function stagingBenchmarks(): Promise<BenchRow[]> {
  const body = 'a small file of thirty-two bytes';
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cases: [string, () => Promise<number>][] = [
    ['separate-task (default), 2 threads', () => stageAll(base, fresh(), undefined)],
    ['in-task, 2 threads', () => stageAll(base, fresh(), [new NoOpFileStaging(), new HTTPInTaskStaging()])],
    ['plain curl loop', () => curlLoop(base, fresh())],
  ];
  const dirs: string[] = [];
  const fresh = () => { const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-bench-staging-')); dirs.push(dir); return dir; };
  try {
    const rows: BenchRow[] = [];
    for (const [name, measure] of cases) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(await measure());
      rows.push({ name: `staging: ${FILES} HTTP files, ${name}`, median: median(times), unit: 'ms', higherIsBetter: false, runs: times });
    }
    return rows;
  } finally {
    server.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./table.js');
  printTable(await stagingBenchmarks());
}
