/**
 * The monitoring writer is a process of the driver's, at the lowest CPU priority: it must
 * never outlive the driver, and what the driver recorded before it died or exited without
 * `cleanup()` still reaches the database. A user checks that with `ps` and `sqlite3`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { load, ThreadPoolExecutor } from '../../src/index.js';
import { tempDir } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const INDEX = JSON.stringify(pathToFileURL(join(ROOT, 'src', 'index.ts')).href);

/** Pids of monitoring writer processes for which `select(pid)` holds. */
function writers(select: (pid: string) => boolean): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (/monitoring[/\\]writer\.[jt]s/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')) && alive(Number(pid)) && select(pid)) found.push(Number(pid));
    } catch { /* ended meanwhile */ }
  }
  return found;
}

const writerChildren = (parent: number) => writers((pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
});
/** Writers started by a driver in `dir` (they keep its working directory, also once orphaned). */
const writersIn = (dir: string) => writers((pid) => readlinkSync(`/proc/${pid}/cwd`) === dir);

function alive(pid: number): boolean {
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startDriver(dir: string, script: string) {
  writeFileSync(join(dir, 'driver.mts'), script);
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(dir, 'driver.mts')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return { child, exited, output: () => output };
}

const count = (db: Database.Database, sql: string) => (db.prepare(sql).get() as { n: number }).n;

test('the writer runs at the lowest CPU priority, every thread of it, and cleanup() leaves no writer process', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const dfk = await load({ executors: [new ThreadPoolExecutor({ maxThreads: 2 })], runDir: join(dir, 'runinfo'), monitoring: {} });
  let writers: number[] = [];
  try {
    writers = writerChildren(process.pid);
    assert.equal(writers.length, 1, 'one writer process per DataFlowKernel');
    const threads = readdirSync(`/proc/${writers[0]}/task`);
    assert.ok(threads.length > 1, 'node runs several threads');
    for (const thread of threads) {
      const stat = readFileSync(`/proc/${writers[0]}/task/${thread}/stat`, 'utf8');
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      assert.equal(nice, 19, `thread ${thread} of the writer runs at nice ${nice}`);
    }
  } finally {
    await dfk.cleanup();
  }
  assert.equal(alive(writers[0]!), false, 'the writer ended with cleanup()');
  assert.deepEqual(writerChildren(process.pid), []);
});

test('a driver killed with SIGKILL: its writer writes what it was sent, leaves the run unfinished, and exits', { timeout: 90_000 }, async () => {
  const dir = tempDir();
  const driver = startDriver(dir, `
import { appendFileSync } from 'node:fs';
import { app, load, ThreadPoolExecutor } from ${INDEX};
const step = app(async function step(i: number) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return i;
});
const dfk = await load({ executors: [new ThreadPoolExecutor({ maxThreads: 2 })], runDir: 'runinfo', monitoring: { resourceMonitoringEnabled: false } });
for (let i = 0; i < 40; i++) step(i).then(() => appendFileSync('done.log', i + '\\n'));
await new Promise((resolve) => setTimeout(resolve, 600_000));
`);
  const done = () => (existsSync(join(dir, 'done.log')) ? readFileSync(join(dir, 'done.log'), 'utf8').split('\n').filter(Boolean).length : 0);
  await until(() => done() === 40, 'the 40 tasks');
  // The recorder hands its events over every 100 ms.
  await new Promise((r) => setTimeout(r, 400));
  const writers = writerChildren(driver.child.pid!);
  assert.equal(writers.length, 1, driver.output());
  driver.child.kill('SIGKILL');
  assert.equal((await driver.exited).signal, 'SIGKILL');
  await until(() => !alive(writers[0]!), 'the orphaned writer to exit', 15_000);

  const db = new Database(join(dir, 'runinfo', 'monitoring.db'), { readonly: true });
  try {
    assert.equal(count(db, "SELECT count(*) AS n FROM task WHERE task_status_name = 'exec_done'"), 40);
    assert.equal(count(db, "SELECT count(*) AS n FROM status WHERE task_status_name = 'exec_done'"), 40);
    assert.equal(count(db, 'SELECT count(*) AS n FROM workflow WHERE time_completed IS NULL AND time_last_update IS NOT NULL'), 1, 'a run that died: no end time');
  } finally {
    db.close();
  }
});

test('a driver script that ends without cleanup(): its run is completed, its rows written, and the writer exits with it', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const driver = startDriver(dir, `
import { app, load, ThreadPoolExecutor } from ${INDEX};
const square = app(function square(x: number) { return x * x; });
await load({ executors: [new ThreadPoolExecutor({ maxThreads: 2 })], runDir: 'runinfo', monitoring: { resourceMonitoringEnabled: false } });
const results = await Promise.all(Array.from({ length: 300 }, (_, i) => square(i)));
console.log('sum', results.reduce((a, b) => a + b, 0), 'pid', process.pid);
`);
  const exit = await driver.exited;
  assert.equal(exit.code, 0, driver.output());
  assert.match(driver.output(), /sum 8955050/);
  await until(() => writersIn(dir).length === 0, 'the writer to exit', 15_000);
  const db = new Database(join(dir, 'runinfo', 'monitoring.db'), { readonly: true });
  try {
    assert.equal(count(db, "SELECT count(*) AS n FROM task WHERE task_status_name = 'exec_done'"), 300);
    // As in Parsl, a script that never called cleanup() is cleaned up as it ends.
    assert.equal(count(db, 'SELECT count(*) AS n FROM workflow WHERE time_completed IS NOT NULL'), 1);
  } finally {
    db.close();
  }
});
