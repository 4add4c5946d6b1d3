/**
 * The progress display tells waiting, queued, running, done and failed apart; on a terminal
 * it gets out of the way of the workflow's output; off one it prints a line on a change of
 * state, not every second; Ctrl-C stops the run cleanly and says how to go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBar, ProgressReporter } from '../../src/cli/progress.js';
import type { TaskCounts } from '../../src/index.js';
import { descendantPids } from '../../src/util/processes.js';
import { tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'parsl-ts.js');
const indexUrl = new URL('../../src/index.ts', import.meta.url).href;

const counts = (over: Partial<TaskCounts>): TaskCounts => ({ submitted: 0, pending: 0, queued: 0, running: 0, done: 0, failed: 0, ...over });

function fakeStream(isTTY: boolean) {
  const stream = { isTTY, columns: 200, written: '', write(text: string) { stream.written += text; return true; } };
  return stream;
}

test('on a terminal: a bar with waiting, queued, running, done and failed apart, cleared before the workflow\'s output', () => {
  const stream = fakeStream(true);
  const output = fakeStream(false);
  let current = counts({ submitted: 200, pending: 7, queued: 187, running: 2, done: 3, failed: 1 });
  const reporter = new ProgressReporter(stream, { intervalMs: 60_000, capture: [output as unknown as NodeJS.WriteStream] });
  reporter.attach({ counts: () => current });
  reporter.render(false);
  assert.match(stream.written, /^\r\x1b\[2K\[x\.+\]\s+2% 4\/200 tasks · 3 done · 1 failed · 2 running · 187 queued · 7 waiting/);
  stream.written = '';
  (output as unknown as NodeJS.WriteStream).write('result line\n');
  assert.equal(stream.written, '\r\x1b[2K', 'the bar is cleared before the workflow writes');
  assert.equal(output.written, 'result line\n');
  stream.written = '';
  (output as unknown as NodeJS.WriteStream).write('no newline yet');
  reporter.render(false);
  assert.equal(stream.written, '', 'no bar drawn over an unfinished line');
  current = counts({ submitted: 4, done: 4 });
  reporter.stop();
  assert.match(stream.written, /^\n\r\x1b\[2K\[#{30}\] 100% 4\/4 tasks/);
  assert.ok(stream.written.endsWith('\n'));
  assert.equal(formatBar(counts({ submitted: 4, done: 4 }), 8), '[########] 100%');
});

test('off a terminal: a line on a change of state or after the quiet period, not at every check', () => {
  const stream = fakeStream(false);
  let current = counts({ submitted: 10, queued: 10 });
  const reporter = new ProgressReporter(stream, { intervalMs: 60_000, quietMs: 60_000 });
  reporter.attach({ counts: () => current });
  const lines = () => stream.written.split('\n').filter(Boolean);
  reporter.render(false);
  assert.equal(lines().length, 1, 'first state: waiting for workers');
  current = counts({ submitted: 10, queued: 8, running: 2 });
  reporter.render(false);
  assert.equal(lines().length, 2, 'tasks started running');
  for (let done = 1; done <= 5; done++) {
    current = counts({ submitted: 10, queued: 8 - done, running: 2, done });
    reporter.render(false);
  }
  assert.equal(lines().length, 2, 'progress within a state waits for the quiet period');
  current = counts({ submitted: 10, queued: 2, running: 2, done: 5, failed: 1 });
  reporter.render(false);
  assert.equal(lines().length, 3, 'a failure is a change of state');
  current = counts({ submitted: 10, done: 9, failed: 1 });
  reporter.stop();
  assert.equal(lines().length, 4);
  assert.match(lines()[3]!, /^parsl-ts: 10\/10 tasks · 9 done · 1 failed · 0 running · 0 queued · 0 waiting/);
});

/** A workflow on a LocalProvider block: two quick tasks, then long ones that never end by themselves. */
function writeLongWorkflow(dir: string): void {
  writeFileSync(join(dir, 'flow.ts'), `import { app, load, HighThroughputExecutor, LocalProvider } from '${indexUrl}';
const nap = app(async (seconds: number) => { await new Promise((r) => setTimeout(r, seconds * 1000)); return seconds; }, { cache: true });
await load({
  executors: [new HighThroughputExecutor({ label: 'htex', maxWorkersPerNode: 2, provider: new LocalProvider({ initBlocks: 1 }) })],
  checkpointMode: 'task_exit',
});
console.log('quick done', (await Promise.all([nap(0), nap(0.01)])).join(','));
await Promise.all(Array.from({ length: 6 }, (_, i) => nap(600 + i)));
console.log('never printed');
`);
}

function collect(child: ChildProcess): { out: () => string } {
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  return { out: () => text };
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function interruptAndCheck(child: ChildProcess, runPid: () => number, sendInterrupt: () => void, output: () => string): Promise<void> {
  await until(() => output().includes('quick done'), 'the quick tasks');
  await until(() => descendantPids(runPid()).length >= 3, 'the block\'s manager and workers');
  const started = descendantPids(runPid());
  sendInterrupt();
  const code = await Promise.race([exited(child), new Promise<string>((r) => setTimeout(() => r('hang'), 60_000))]);
  assert.notEqual(code, 'hang', output());
  await until(() => started.every((pid) => !alive(pid)), 'no process of the run left', 10_000);
  const text = output();
  assert.match(text, /interrupted: 2 of 8 tasks finished \(2 done, 0 failed\)/);
  assert.match(text, /`parsl-ts run --resume flow\.ts` reuses the results checkpointed so far/);
  assert.doesNotMatch(text, /never printed|workflow flow\.ts failed/);
}

test('off a terminal, SIGINT stops the run cleanly: no process left, what finished and how to resume', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  writeLongWorkflow(dir);
  const child = spawn(process.execPath, [bin, 'run', 'flow.ts'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const { out } = collect(child);
  try {
    await interruptAndCheck(child, () => child.pid!, () => child.kill('SIGINT'), out);
    assert.equal(child.exitCode, 130);
    assert.doesNotMatch(out(), /\r/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a pseudo-terminal: the bar steps aside for the workflow\'s output, and Ctrl-C stops the run cleanly', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  writeLongWorkflow(dir);
  // util-linux `script` runs the command on a new pseudo-terminal; ^C typed into it is a real Ctrl-C.
  const command = `exec ${process.execPath} ${bin} run flow.ts`;
  const child = spawn('script', ['-qfc', command, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const { out } = collect(child);
  const runPid = () => descendantPids(child.pid!).find((pid) => descendantPids(pid).length > 0) ?? child.pid!;
  try {
    await interruptAndCheck(child, runPid, () => child.stdin!.write('\x03'), out);
    const text = out();
    assert.match(text, /\r\x1b\[2K\[[#x.]{30}\]/, 'a bar redrawn in place');
    assert.match(text, /\x1b\[2Kquick done 0,0\.01/, 'the workflow\'s line starts on a cleared line');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
