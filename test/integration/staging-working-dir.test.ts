/** HTEX `workingDir`: workers run elsewhere, yet relative local Files and std streams mean the driver's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bashApp, File } from '../../src/index.js';
import { withStaging } from './staging-helpers.js';

const copyHere = bashApp((input: File, kw: { outputs: File[]; stdout: string }) => `mkdir -p $(dirname ${kw.outputs[0]}) && cat ${input} > ${kw.outputs[0]} && pwd && echo scratch > scratch.txt`);

test('workers run in workingDir; relative Files, outputs and stdout resolve against the driver\'s directory', { timeout: 120_000 }, async () => {
  await withStaging('htex', undefined, async ({ workDir }) => {
    const driverDir = process.cwd();
    writeFileSync('in.txt', 'relative\n');
    const future = copyHere(new File('in.txt'), { outputs: [new File('out/copy.txt')], stdout: 'run.log' });
    assert.equal(await future, 0);
    assert.equal(readFileSync(join(driverDir, 'out', 'copy.txt'), 'utf8'), 'relative\n');
    assert.equal((await future.outputs[0]!).filepath, join(driverDir, 'out', 'copy.txt'));
    assert.equal(readFileSync(join(driverDir, 'run.log'), 'utf8').trim(), workDir, 'the command ran in workingDir');
    assert.ok(existsSync(join(workDir, 'scratch.txt')), 'paths inside the command are relative to workingDir');
  });
});
