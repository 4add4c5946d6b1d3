/**
 * Tasks see the driver's working directory on every executor: relative `File` outputs and
 * std streams land in the same place on threads and on a HighThroughputExecutor whose
 * LocalProvider blocks run real `parsl-ts worker-pool` managers.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { bashApp, load, File, HighThroughputExecutor, LocalProvider, ThreadPoolExecutor, type Executor } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { htexProcesses, waitFor } from './htex-helpers.js';

const writeHere = bashApp((_kw: { outputs: File[]; stdout: string; stderr: string }) =>
  'pwd; echo data > out.txt; echo oops >&2');

/** Runs the workflow from `cwd` on `executor`; returns where its files went. */
async function runFrom(cwd: string, executor: Executor, runDir: string): Promise<void> {
  const before = process.cwd();
  process.chdir(cwd);
  const dfk = await load({ executors: [executor], runDir });
  try {
    const future = writeHere({ outputs: [new File('out.txt')], stdout: 'where.txt', stderr: 'err.txt' });
    assert.equal(await future, 0);
    const [output] = await Promise.all(future.outputs);
    assert.equal(output!.filepath, 'out.txt');
  } finally {
    await dfk.cleanup();
    process.chdir(before);
  }
}

describe('the working directory of tasks', () => {
  let dir: string;
  beforeEach(() => { dir = realpathSync(tempDir('parsl-ts-cwd-')); });
  afterEach(async () => { await waitFor(() => htexProcesses().length === 0, 5000, 'no manager or worker left'); });

  for (const [name, make] of [
    ['threads', () => new ThreadPoolExecutor({ label: 'threads', maxThreads: 1 })],
    ['htex + LocalProvider', () => new HighThroughputExecutor({
      label: 'htex', maxWorkersPerNode: 1, heartbeatPeriod: 1, heartbeatThreshold: 4,
      provider: new LocalProvider({ initBlocks: 1, statusPollingInterval: 200 }),
    })],
  ] as const) {
    it(`${name}: relative outputs, stdout and stderr land in the driver's working directory, which is the task's`, { timeout: 120_000 }, async () => {
      const cwd = join(dir, 'driver');
      mkdirSync(cwd);
      await runFrom(cwd, make(), join(dir, 'runinfo'));
      assert.equal(readFileSync(join(cwd, 'where.txt'), 'utf8'), `${cwd}\n`, "the bash app's pwd");
      assert.equal(readFileSync(join(cwd, 'out.txt'), 'utf8'), 'data\n');
      assert.equal(readFileSync(join(cwd, 'err.txt'), 'utf8'), 'oops\n');
      assert.equal(existsSync(join(dir, 'runinfo', '000', 'submit_scripts', 'out.txt')), false);
    });
  }
});
