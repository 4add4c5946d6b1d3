import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { app } from '../../src/index.js';
import { startHtex, stopHtex, waitFor, type HtexRun } from './htex-helpers.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/parsl-ts.js', import.meta.url));
const nap = app(async (ms: number) => { await new Promise((r) => setTimeout(r, ms)); return ms; });

test('parsl-ts status shows a live run: tasks, executor queue, blocks and managers', async () => {
  let htex: HtexRun | undefined;
  try {
    htex = await startHtex({ maxWorkersPerNode: 1 });
    const executor = htex.executor;
    await waitFor(() => executor.managers().length === 1, 15_000, 'a manager to connect');
    const naps = Array.from({ length: 6 }, () => nap(400));
    await new Promise((r) => setTimeout(r, 1300)); // the snapshot is rewritten every second
    const { stdout } = await run(process.execPath, [bin, 'status', join(htex.dir, 'runinfo')], { encoding: 'utf8' });
    assert.match(stdout, /: running \(driver pid \d+/);
    assert.match(stdout, /tasks: 6 submitted · [0-3] done/);
    assert.match(stdout, /htex\s+HighThroughputExecutor\s+\d+\s+1\s+1/);
    assert.match(stdout, /blocks of htex:\n.*\n0\s+\d+\s+running/);
    assert.match(stdout, /managers of htex:\n.*\n\S+\s+0\s+\S+\s+\d+\s+1\s+1\s+active/);
    await Promise.all(naps);
    await htex.dfk.cleanup();
    const after = await run(process.execPath, [bin, 'status', htex.runDir], { encoding: 'utf8' });
    assert.match(after.stdout, /: ended/);
    assert.match(after.stdout, /tasks: 6 submitted · 6 done · 0 failed/);
  } finally {
    await stopHtex(htex);
  }
});
