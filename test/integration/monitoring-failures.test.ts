/**
 * The monitoring database under stress: a reader holding a read transaction open, a
 * database locked by another writer, a database that cannot be created, a PostgreSQL
 * server that cannot be reached, a disk that fills up. The workflow always
 * completes; the error is logged once with its cause; nothing is lost that could be written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { app, load, ThreadPoolExecutor, type DataFlowKernel } from '../../src/index.js';
import { tempDir } from '../helpers.js';

const square = app(function square(x: number) { return x * x; });

async function monitoredRun(dir: string, dbUrl?: string): Promise<DataFlowKernel> {
  return load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'),
    monitoring: { dbUrl, resourceMonitoringEnabled: false },
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const count = (db: Database.Database, sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;

/** Three rounds of tasks recorded to a database that is never writable; returns the run's parsl.log. */
async function runUnwritable(dir: string, dbUrl: string): Promise<string> {
  const dfk = await monitoredRun(dir, dbUrl);
  try {
    for (let round = 0; round < 3; round++) {
      assert.equal((await Promise.all(Array.from({ length: 50 }, (_, i) => square(i))))[9], 81, 'the workflow goes on');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    await dfk.cleanup();
  }
  return readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8');
}

test('a reader holding a read transaction open (as a sqlite3 shell would) neither blocks nor loses a write', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const path = join(dir, 'runinfo', 'monitoring.db');
  const dfk = await monitoredRun(dir);
  const reader = new Database(path, { fileMustExist: false, timeout: 0 });
  const watcher = new Database(path, { timeout: 0 });
  try {
    await until(() => { try { return count(watcher, 'SELECT count(*) AS n FROM workflow') === 1; } catch { return false; } }, 'the workflow row');
    reader.exec('BEGIN');
    const before = count(reader, 'SELECT count(*) AS n FROM task WHERE run_id = ?', dfk.runId);
    const first = await Promise.all(Array.from({ length: 500 }, (_, i) => square(i)));
    assert.equal(first[499], 499 * 499);
    // Writes go on while the read transaction is open: a fresh connection sees them.
    await until(() => count(watcher, "SELECT count(*) AS n FROM task WHERE run_id = ? AND task_status_name = 'exec_done'", dfk.runId) === 500, '500 tasks written while a reader holds its snapshot');
    // The reader keeps its consistent snapshot.
    assert.equal(count(reader, 'SELECT count(*) AS n FROM task WHERE run_id = ?', dfk.runId), before);
    await Promise.all(Array.from({ length: 500 }, (_, i) => square(i)));
    await dfk.cleanup(); // the reader still holds its transaction
    reader.exec('COMMIT');
    assert.equal(count(reader, 'SELECT count(*) AS n FROM task WHERE run_id = ?', dfk.runId), 1000);
    assert.equal(count(reader, "SELECT count(*) AS n FROM status WHERE run_id = ? AND task_status_name = 'exec_done'", dfk.runId), 1000);
    assert.ok(count(reader, 'SELECT count(*) AS n FROM workflow WHERE run_id = ? AND time_completed IS NOT NULL', dfk.runId) === 1);
    assert.doesNotMatch(readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8'), /monitoring: cannot write/);
  } finally {
    reader.close();
    watcher.close();
    await dfk.cleanup();
  }
});

test('a database locked by another writer: the workflow completes, the error is logged once, and the rows arrive once the lock is released', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const path = join(dir, 'runinfo', 'monitoring.db');
  mkdirSync(join(dir, 'runinfo'), { recursive: true });
  const locker = new Database(path);
  locker.pragma('journal_mode = WAL');
  locker.exec('BEGIN EXCLUSIVE');
  const dfk = await monitoredRun(dir);
  try {
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => square(i)));
      await new Promise((resolve) => setTimeout(resolve, 150)); // several flushes, each refused
    }
    const log = () => readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8');
    await until(() => /monitoring: cannot write/.test(log()), 'the error in parsl.log');
    locker.exec('COMMIT');
    await dfk.cleanup();
    const text = log();
    assert.equal(text.match(/monitoring: cannot write to the database/g)?.length, 1, 'logged once');
    assert.match(text, /monitoring: cannot write to the database .*monitoring\.db: SQLITE_BUSY/);
    assert.match(text, /monitoring: the database .* is written again/);
    assert.equal(count(locker, 'SELECT count(*) AS n FROM task WHERE run_id = ?', dfk.runId), 200);
  } finally {
    if (locker.inTransaction) locker.exec('COMMIT');
    locker.close();
    await dfk.cleanup();
  }
});

test('a database that cannot be created: the workflow completes, the cause is logged once, cleanup returns', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'not-a-directory'), '');
  const text = await runUnwritable(dir, join(dir, 'not-a-directory', 'monitoring.db'));
  assert.equal(text.match(/monitoring: cannot write to the database/g)?.length, 1, 'logged once');
  assert.match(text, /monitoring: cannot write to the database .*not-a-directory\/monitoring\.db: (ENOTDIR|EEXIST)/);
  assert.match(text, /monitoring: gave up waiting for the database/);
});

test('a PostgreSQL server that cannot be reached: the workflow completes, the cause is logged once, cleanup returns', { timeout: 60_000 }, async () => {
  // A port nobody listens on: take one, then free it.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: taken } = server.address() as AddressInfo;
      server.close(() => resolve(taken));
    });
  });
  const dir = tempDir();
  const text = await runUnwritable(dir, `postgresql://parsl:secret@127.0.0.1:${port}/postgres`);
  assert.equal(text.match(/monitoring: cannot write to the database/g)?.length, 1, 'logged once');
  assert.match(text, new RegExp(`monitoring: cannot write to the database postgresql://parsl:\\*\\*\\*@127\\.0\\.0\\.1:${port}/postgres: .*ECONNREFUSED`));
  assert.doesNotMatch(text, /secret/, 'the password is never logged');
  assert.match(text, /monitoring: gave up waiting for the database/);
});

test('a disk that fills up: the workflow completes, SQLITE_FULL is logged once, and what was written before stays readable', { timeout: 90_000 }, async (t) => {
  const dir = tempDir();
  const mount = join(dir, 'small-fs');
  mkdirSync(mount);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()})`);
    return;
  }
  try {
    const path = join(mount, 'monitoring.db');
    const dfk = await monitoredRun(dir, path);
    try {
      // A first round written while there is room.
      assert.equal((await Promise.all(Array.from({ length: 20 }, (_, i) => square(i))))[19], 361);
      // The writer creates the file at its first write: open it anew each time.
      await until(() => {
        try {
          const reader = new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
          try { return count(reader, 'SELECT count(*) AS n FROM task WHERE run_id = ?', dfk.runId) === 20; } finally { reader.close(); }
        } catch {
          return false;
        }
      }, 'the first 20 tasks written');
      // About a kilobyte of rows a task: a 1 MB disk is full within a few thousand.
      for (let round = 0; round < 12; round++) {
        const results = await Promise.all(Array.from({ length: 500 }, (_, i) => square(i)));
        assert.equal(results[499], 499 * 499);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await dfk.cleanup();
    }
    const text = readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8');
    assert.equal(text.match(/monitoring: cannot write to the database/g)?.length, 1, `logged once:\n${text.split('\n').filter((l) => l.includes('monitoring')).join('\n')}`);
    assert.match(text, /monitoring: cannot write to the database .*monitoring\.db: SQLITE_FULL/);
    const db = new Database(path, { readonly: true });
    try {
      assert.equal((db.pragma('quick_check', { simple: true })), 'ok', 'the database is intact');
      const written = count(db, 'SELECT count(*) AS n FROM task WHERE run_id = ?', dfk.runId);
      assert.ok(written >= 20 && written < 6020, `tasks written before the disk filled: ${written}`);
    } finally {
      db.close();
    }
  } finally {
    const unmounted = spawnSync('umount', [mount]);
    if (unmounted.status !== 0) spawnSync('umount', ['-l', mount]);
  }
});
