/**
 * Start-up as a user meets it: the compiled package (dist/, built first), run by plain
 * `node` with none of the checkout's development settings. Each figure is the median of
 * fresh processes. Runnable alone: `node --import tsx bench/startup.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type BenchRow } from './table.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin', 'parsl-ts.js');

function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['NODE_OPTIONS'];
  return env;
}

/** Wall-clock milliseconds of `node args…` in `cwd`, `runs` times. */
function timeProcess(args: string[], runs: number, cwd: string, env = userEnv()): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
    times.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  }
  return times;
}

const FIRST_RESULT_SOURCE = `
const { load, app, ThreadPoolExecutor } = await import(process.argv[2]);
const started = performance.now();
const dfk = await load({ executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: process.argv[3] });
const square = app((x) => x * x);
await square(3);
const elapsed = performance.now() - started;
await dfk.cleanup();
console.log(elapsed.toFixed(2));
`;

export async function startupBenchmarks(runs = 7): Promise<BenchRow[]> {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-startup-'));
  try {
    const rows: BenchRow[] = [];
    const row = (name: string, values: number[], unit: string, target: number): BenchRow =>
      ({ name, median: median(values), unit, target, higherIsBetter: false, runs: values });

    rows.push(row('startup: parsl-ts version', timeProcess([bin, 'version'], runs, dir), 'ms', 150));
    const hello = ['run', join(root, 'examples', 'hello.ts'), '--no-progress'];
    rows.push(row('startup: parsl-ts run examples/hello.ts', timeProcess([bin, ...hello], runs, dir), 'ms', 800));
    rows.push(row('startup: same, tsx transform cache off', timeProcess([bin, ...hello], runs, dir, userEnv({ TSX_DISABLE_CACHE: '1' })), 'ms', 800));

    const script = join(dir, 'first-result.mjs');
    writeFileSync(script, FIRST_RESULT_SOURCE);
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const firstResult: number[] = [];
    for (let i = 0; i < runs; i++) {
      const output = execFileSync(process.execPath, [script, entry, join(dir, 'runinfo')], { cwd: dir, env: userEnv(), encoding: 'utf8' });
      firstResult.push(Number(output.trim().split('\n').pop()));
    }
    rows.push(row('startup: JavaScript, thread pool load() to first result', firstResult, 'ms', 100));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./table.js');
  printTable(await startupBenchmarks());
}
