/**
 * A checkpoint write that fails part-way for real: the checkpoint directory of a real
 * driver (`parsl-ts run --resume`) sits on a small tmpfs that is full, so a large record
 * is torn (ENOSPC after a short write); then space comes back and later results are
 * written. A resumed run must reuse every result, the console must warn once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { PARSL_TS_INDEX, runResume } from './resume-run.js';

const INDEX = PARSL_TS_INDEX;
const WARNING = /checkpoints cannot be written/g;

const workflow = (mount: string, filler: string) => `
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { app, load, ThreadPoolExecutor } from ${INDEX};

const make = app(async function make(dir: string, name: string, size: number) {
  const fs = await import('node:fs');
  fs.appendFileSync(dir + '/executed.log', name + ' ' + process.pid + '\\n');
  return name + ':' + 'v'.repeat(size);
}, { cache: true });

const dfk = await load({ executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })] });
// This run's checkpoint directory is on the small filesystem.
const target = join(${JSON.stringify(mount)}, basename(dfk.runDir));
mkdirSync(target);
symlinkSync(target, join(dfk.runDir, 'checkpoint'));

const cwd = process.cwd();
const sizes: Record<string, number> = {};
for (const [name, size] of [['a', 10], ['b', 200_000], ['c', 200_000]] as const) sizes[name] = (await make(cwd, name, size)).length;
// Space comes back.
rmSync(${JSON.stringify(filler)}, { force: true });
for (const name of ['d', 'e', 'f']) sizes[name] = (await make(cwd, name, 10)).length;
writeFileSync('result.json', JSON.stringify({ sizes, pid: process.pid }));
await dfk.cleanup();
`;

test('a checkpoint write torn by a full disk loses no later record; resume reuses them all; the console warns once', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('parsl-ts-torn-');
  const mount = join(dir, 'small-fs');
  mkdirSync(mount);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()})`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  try {
    // Leave about 64 KB: the first small record fits, the 200 KB ones are cut short.
    const filler = join(mount, 'filler');
    writeFileSync(filler, Buffer.alloc(960 * 1024, 1));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'workflow.ts'), workflow(mount, filler));

    const first = await runResume<{ pid: number; sizes: Record<string, number> }>(dir);
    assert.deepEqual(first.executed.sort(), ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.equal(first.output.match(WARNING)?.length, 1, `the console warns once:\n${first.output}`);
    const log = readFileSync(join(dir, 'runinfo', '000', 'parsl.log'), 'utf8');
    assert.match(log, /ERROR checkpoint write to .* failed: ENOSPC/);

    const second = await runResume<{ pid: number; sizes: Record<string, number> }>(dir);
    assert.deepEqual(second.executed, [], 'every result, the ones written after the torn write included, is reused');
    assert.equal(second.output.match(WARNING), null);
    assert.deepEqual(second.result.sizes, { a: 12, b: 200_002, c: 200_002, d: 12, e: 12, f: 12 });
  } finally {
    const unmounted = spawnSync('umount', [mount]);
    if (unmounted.status !== 0) spawnSync('umount', ['-l', mount]);
    rmSync(dir, { recursive: true, force: true });
  }
});
