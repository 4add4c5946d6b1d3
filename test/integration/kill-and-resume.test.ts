/**
 * A real driver (`parsl-ts run --resume`) is killed with SIGKILL after some tasks finished,
 * then started again: it must finish without re-running what finished before. The apps
 * log each real execution (with the driver's pid) to a file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readCheckpoint } from '../../src/dataflow/checkpoint.js';
import { tempDir } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'parsl-ts.js');
const TASKS = 24;

const WORKFLOW = `
import { writeFileSync } from 'node:fs';
import { app, load, ThreadPoolExecutor } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'index.ts')).href)};

const step = app(async function step(dir: string, i: number) {
  const fs = await import('node:fs');
  fs.appendFileSync(dir + '/executed.log', i + ' ' + process.pid + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 120));
  return i * 2;
}, { cache: true });
const total = app(function total(values: number[]) { return values.reduce((s, v) => s + v, 0); }, { cache: true });

// No checkpointMode: under --resume it defaults to 'task_exit'.
const dfk = await load({ executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })] });
const steps = Array.from({ length: ${TASKS} }, (_, i) => step(process.cwd(), i));
const sum = await total(steps);
writeFileSync('result.json', JSON.stringify({ sum, pid: process.pid }));
await dfk.cleanup();
`;

interface Execution { task: number; pid: number }

function executions(dir: string): Execution[] {
  const log = join(dir, 'executed.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [task, pid] = line.split(' ').map(Number);
    return { task: task!, pid: pid! };
  });
}

function startDriver(dir: string, resume: boolean) {
  const args = [CLI, 'run', 'workflow.ts', '--no-progress', ...(resume ? ['--resume'] : [])];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal, output }));
  });
  return { child, exited };
}

test('a driver killed with SIGKILL and run again with --resume re-runs none of the finished tasks', { timeout: 120_000 }, async () => {
  const dir = tempDir('parsl-ts-resume-');
  try {
    writeFileSync(join(dir, 'workflow.ts'), WORKFLOW);

    // Run 1: kill it for real once a few tasks have finished.
    const first = startDriver(dir, true);
    const deadline = Date.now() + 60_000;
    while (executions(dir).length < 8) {
      if (Date.now() > deadline) throw new Error('the first driver did not start tasks in time');
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    assert.equal(killed.signal, 'SIGKILL', killed.output);
    assert.equal(existsSync(join(dir, 'result.json')), false, 'the first driver did not finish');
    const checkpointFile = join(dir, 'runinfo', '000', 'checkpoint', 'tasks.ckpt');
    const finished = new Set(readCheckpoint(checkpointFile).map((r) => (r.value as number) / 2));
    assert.ok(finished.size > 0 && finished.size < TASKS, `finished before the kill: ${finished.size}`);

    // Run 2: same command; only what had not finished runs.
    const second = startDriver(dir, true);
    const ended = await second.exited;
    assert.equal(ended.code, 0, ended.output);
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { sum: number; pid: number };
    assert.equal(result.sum, Array.from({ length: TASKS }, (_, i) => i * 2).reduce((s, v) => s + v, 0));
    const rerun = executions(dir).filter((e) => e.pid === result.pid).map((e) => e.task).sort((a, b) => a - b);
    assert.deepEqual(rerun.filter((task) => finished.has(task)), [], 'a task that had finished ran again');
    assert.deepEqual(rerun, Array.from({ length: TASKS }, (_, i) => i).filter((i) => !finished.has(i)));
    const log = readFileSync(join(dir, 'runinfo', '001', 'parsl.log'), 'utf8');
    assert.match(log, new RegExp(`loaded ${finished.size} results`));

    // Run 3 with --resume: everything (the total too) comes from checkpoints.
    const third = startDriver(dir, true);
    assert.equal((await third.exited).code, 0);
    const pid3 = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { pid: number }).pid;
    assert.equal(executions(dir).filter((e) => e.pid === pid3).length, 0);

    // Without --resume nothing is reused.
    const fourth = startDriver(dir, false);
    assert.equal((await fourth.exited).code, 0);
    const pid4 = (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { pid: number }).pid;
    assert.equal(executions(dir).filter((e) => e.pid === pid4).length, TASKS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
