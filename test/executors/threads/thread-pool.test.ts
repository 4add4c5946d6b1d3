import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, WorkerLost } from '../../../src/index.js';
import { tempDir, withDfk } from '../../helpers.js';

const exitThread = app(function exitThread() { process.exit(3); });
const twice = app((x: number) => x * 2);
const threadOf = app(async () => (await import('node:worker_threads')).threadId);

test('a worker thread that dies fails its task with WorkerLost and is replaced', async () => {
  await withDfk(async () => {
    await assert.rejects(exitThread(), (error: unknown) => error instanceof WorkerLost && /exited with code 3/.test(error.message));
    const results = await Promise.all([1, 2, 3, 4].map((x) => twice(x)));
    assert.deepEqual(results, [2, 4, 6, 8]);
  });
});

test('tasks run on maxThreads threads, off the main thread', async () => {
  await withDfk(async () => {
    const ids = new Set(await Promise.all(Array.from({ length: 40 }, () => threadOf())));
    assert.ok(!ids.has(0));
    assert.ok(ids.size >= 1 && ids.size <= 2);
  });
});

test('a script that never calls cleanup() still exits, and its DFK is cleaned up', () => {
  const dir = tempDir();
  try {
    const index = new URL('../../../src/index.ts', import.meta.url).href;
    writeFileSync(join(dir, 'flow.mts'), `import { app, load } from '${index}';
const one = app(() => 1);
await load();
console.log('value', await one());
`);
    const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(dir, 'flow.mts')], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /value 1/);
    const run = readdirSync(join(dir, 'runinfo'))[0]!;
    assert.match(readFileSync(join(dir, 'runinfo', run, 'parsl.log'), 'utf8'), /cleanup: done \(1 tasks: 1 done, 0 failed\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the thread pool starts under node flags that worker threads refuse (--report-directory, --title)', () => {
  const dir = tempDir();
  try {
    const index = new URL('../../../src/index.ts', import.meta.url).href;
    writeFileSync(join(dir, 'flow.mts'), `import { app, load, ThreadPoolExecutor } from '${index}';
const one = app(() => 1);
const dfk = await load({ executors: [new ThreadPoolExecutor({ maxThreads: 2 })] });
console.log('value', await one());
await dfk.cleanup();
`);
    const flags = ['--report-directory', join(dir, 'reports'), '--title=parsl-flow', '--enable-source-maps'];
    const result = spawnSync(process.execPath, [...flags, '--import', import.meta.resolve('tsx'), join(dir, 'flow.mts')], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /value 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
