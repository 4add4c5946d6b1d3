/** Losing managers and drivers: tasks fail (or retry), and no process outlives its purpose. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, ManagerLost } from '../../src/index.js';
import { descendantPids } from '../../src/util/processes.js';
import { startHtex, stopHtex, tempDir, waitFor } from './htex-helpers.js';

const DRIVER = fileURLToPath(new URL('./htex-driver.fixture.ts', import.meta.url));
const poolOf = app(async function poolOf(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return process.env.PARSL_WORKER_POOL_ID;
});

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('a manager killed mid-task: its tasks fail with ManagerLost; the tasks waiting run on the block that replaces it', async () => {
  const run = await startHtex();
  try {
    assert.ok(await poolOf(0));
    const manager = run.executor.managers()[0]!;
    const futures = Array.from({ length: 6 }, () => poolOf(8000));
    await waitFor(() => (run.executor.managers()[0]?.tasks ?? 0) >= 2, 5000, 'tasks running');
    const workers = descendantPids(manager.pid);
    process.kill(manager.pid, 'SIGKILL');
    const outcomes = await Promise.all(futures.map((future) => future.then((pool) => pool, (e: Error) => e)));
    const lost = outcomes.filter((e): e is ManagerLost => e instanceof ManagerLost);
    assert.ok(lost.length >= 2, String(outcomes));
    assert.ok(lost.every((e) => e.managerId === manager.managerId && /connection lost/.test(e.message)));
    // A block whose manager had registered is no start failure: the strategy replaces it, and what waited runs there.
    const ran = outcomes.filter((o) => !(o instanceof ManagerLost));
    assert.ok(ran.every((pool) => typeof pool === 'string' && pool !== manager.managerId), String(outcomes));
    assert.ok(run.executor.blocks().length >= 2);
    await waitFor(() => workers.every((pid) => !alive(pid)), 5000, 'the dead manager\'s workers to exit');
  } finally {
    await stopHtex(run);
  }
});

test('a manager killed mid-task: with retries, the task runs again on another manager', async () => {
  const run = await startHtex({ maxWorkersPerNode: 1 }, { initBlocks: 2, maxBlocks: 2 }, { retries: 1 });
  try {
    await waitFor(() => run.executor.managers().length === 2, 15_000, 'two managers');
    const future = poolOf(1500);
    await waitFor(() => run.executor.managers().some((m) => m.tasks === 1), 5000, 'the task to start');
    const victim = run.executor.managers().find((m) => m.tasks === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    const pool = await future;
    assert.ok(pool !== undefined && pool !== victim.managerId, 'ran on the surviving manager');
  } finally {
    await stopHtex(run);
  }
});

async function startDriver(mode: 'hold' | 'idle'): Promise<{ child: ChildProcess; pids: { manager: number; workers: number[] }; dir: string }> {
  const dir = tempDir();
  const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, join(dir, 'runinfo'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`driver exited with ${code} before starting`)));
  });
  return { child, pids: JSON.parse(line) as { manager: number; workers: number[] }, dir };
}

test('driver killed with SIGKILL: managers, workers and their children are all gone within heartbeatThreshold', async () => {
  const { child, pids, dir } = await startDriver('hold');
  try {
    await waitFor(() => descendantPids(pids.manager).length >= 4, 10_000, 'three workers and a bash child');
    const everything = [pids.manager, ...descendantPids(pids.manager)];
    process.kill(child.pid!, 'SIGKILL');
    await waitFor(() => everything.every((pid) => !alive(pid)), 2000 + 3000, `no orphan among ${everything.join(', ')}`);
  } finally {
    try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('driver frozen (SIGSTOP): the silent interchange makes its managers exit with their workers after heartbeatThreshold', async () => {
  const { child, pids, dir } = await startDriver('hold');
  try {
    await waitFor(() => descendantPids(pids.manager).length >= 4, 10_000, 'three workers and a bash child');
    const everything = [pids.manager, ...descendantPids(pids.manager)];
    process.kill(child.pid!, 'SIGSTOP');
    await waitFor(() => everything.every((pid) => !alive(pid)), 2000 + 3000, `no orphan among ${everything.join(', ')}`);
  } finally {
    try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an idle driver that never calls cleanup() exits on its own and leaves no process', async () => {
  const { child, pids, dir } = await startDriver('idle');
  try {
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    await waitFor(() => [pids.manager, ...pids.workers].every((pid) => !alive(pid)), 5000, 'manager and workers gone');
  } finally {
    try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});
