import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  app, bashApp, File, AUTO_LOGNAME, AppTimeout, BadStdStreamFile, BashExitFailure, BashAppNoReturn,
  MissingOutputs, DataFuture, type AppKeywords,
} from '../../src/index.js';
import { withDfk } from '../helpers.js';

const echo = bashApp((message: string, _kw: AppKeywords) => `echo ${message}`);
const warn = bashApp((message: string, _kw: AppKeywords) => `echo ${message} >&2`);
const exitWith = bashApp((code: number) => `exit ${code}`);
const notACommand = bashApp((() => 42) as unknown as () => string);
const writeTo = bashApp((text: string, kw: { outputs: File[] }) => `echo ${text} > ${kw.outputs[0]}`);
const concat = bashApp((kw: { inputs: File[]; outputs: File[] }) => `cat ${kw.inputs.join(' ')} > ${kw.outputs[0]}`);
const forgetOutput = app((_kw: { outputs: File[] }) => 'did not write');
const seesKeywords = app((kw: { stdout: string; walltime: number }) => `${kw.stdout}|${kw.walltime}`);
const busyLoop = app(function busyLoop(_kw: { walltime: number }) { for (;;) { /* never returns */ } });
const slowAsync = app(async (_kw: { walltime: number }) => { await new Promise((r) => setTimeout(r, 5000)); return 1; });
const quick = app((x: number, _kw: { walltime: number }) => x * 2);
const order = app(async (label: string, _kw: { priority: number }) => label);

test('bash app stdout/stderr go to files; [path, mode] truncates or appends', async () => {
  await withDfk(async (_dfk, dir) => {
    const out = join(dir, 'logs', 'hi.out');
    assert.equal(await echo('hi', { stdout: out }), 0);
    assert.equal(readFileSync(out, 'utf8'), 'hi\n');
    await echo('again', { stdout: out });
    assert.equal(readFileSync(out, 'utf8'), 'hi\nagain\n', 'a plain path appends, as in Parsl');
    await echo('fresh', { stdout: [out, 'w'] });
    assert.equal(readFileSync(out, 'utf8'), 'fresh\n');
    const err = join(dir, 'err.txt');
    await warn('oops', { stderr: err });
    assert.equal(readFileSync(err, 'utf8'), 'oops\n');
    const viaFile = join(dir, 'file.out');
    await echo('file', { stdout: new File(viaFile) });
    assert.equal(readFileSync(viaFile, 'utf8'), 'file\n');
  });
});

test('AUTO_LOGNAME gives a per-task file under the run dir, exposed on the future', async () => {
  await withDfk(async (dfk) => {
    const future = echo('auto', { stdout: AUTO_LOGNAME, stderr: AUTO_LOGNAME });
    await future;
    assert.ok(future.stdout!.startsWith(dfk.runDir));
    assert.match(future.stdout!, /task_logs[\\/]0000[\\/]task_0000_.*\.stdout$/);
    assert.equal(readFileSync(future.stdout!, 'utf8'), 'auto\n');
    assert.ok(future.stderr!.endsWith('.stderr'));
  });
});

test('a bad stdout/stderr spec is BadStdStreamFile', async () => {
  await withDfk(async (_dfk, dir) => {
    await assert.rejects(echo('x', { stdout: 42 as unknown as string }), BadStdStreamFile);
    await assert.rejects(echo('x', { stdout: [join(dir, 'a'), 'x' as 'w'] }), BadStdStreamFile);
    await assert.rejects(echo('x', { stderr: ['', 'w'] }), BadStdStreamFile);
    writeFileSync(join(dir, 'plainfile'), '');
    await assert.rejects(echo('x', { stdout: join(dir, 'plainfile', 'below') }), (error: unknown) =>
      error instanceof BadStdStreamFile && /plainfile/.test(error.message));
  });
});

test('bash exit codes and non-string commands', async () => {
  await withDfk(async () => {
    await assert.rejects(exitWith(3), (error: unknown) => error instanceof BashExitFailure && error.exitCode === 3);
    assert.equal(await exitWith(0), 0);
    await assert.rejects(notACommand(), BashAppNoReturn);
  });
});

test('outputs become DataFutures; inputs may hold them; a missing output is MissingOutputs', async () => {
  await withDfk(async (_dfk, dir) => {
    const a = writeTo('alpha', { outputs: [new File(join(dir, 'a.txt'))] });
    const b = writeTo('beta', { outputs: [new File(join(dir, 'b.txt'))] });
    assert.ok(a.outputs[0] instanceof DataFuture);
    const merged = concat({ inputs: [a.outputs[0]!, b.outputs[0]!], outputs: [new File(join(dir, 'ab.txt'))] });
    const file = await merged.outputs[0]!;
    assert.equal(readFileSync(file.filepath, 'utf8'), 'alpha\nbeta\n');
    const missing = forgetOutput({ outputs: [new File(join(dir, 'never.txt'))] });
    await assert.rejects(missing, (error: unknown) => error instanceof MissingOutputs && error.outputs[0]!.endsWith('never.txt'));
    await assert.rejects(missing.outputs[0]!, MissingOutputs);
    assert.equal(existsSync(join(dir, 'never.txt')), false);
  });
});

test('the keyword object is still passed to the function', async () => {
  await withDfk(async (_dfk, dir) => {
    assert.equal(await seesKeywords({ stdout: join(dir, 'o'), walltime: 5 }), `${join(dir, 'o')}|5`);
  });
});

test('walltime: a synchronous busy loop is ended (thread replaced), async overrun times out', async () => {
  await withDfk(async () => {
    await assert.rejects(busyLoop({ walltime: 0.3 }), AppTimeout);
    await assert.rejects(slowAsync({ walltime: 0.2 }), AppTimeout);
    assert.equal(await quick(21, { walltime: 5 }), 42, 'the pool keeps working after a thread was replaced');
    const after = await Promise.all([quick(1, { walltime: 5 }), quick(2, { walltime: 5 }), quick(3, { walltime: 5 })]);
    assert.deepEqual(after, [2, 4, 6]);
  });
});

test('priority: lower runs first once a worker is free', async () => {
  await withDfk(async () => {
    const blocker = slowAsync({ walltime: 0.3 }).catch(() => 'blocked');
    const labels = ['c', 'a', 'b'];
    const priorities = [3, 1, 2];
    const finished: string[] = [];
    await Promise.all(labels.map((label, i) => order(label, { priority: priorities[i]! }).then((l) => finished.push(l))));
    await blocker;
    assert.deepEqual(finished, ['a', 'b', 'c']);
  }, { executors: [new (await import('../../src/index.js')).ThreadPoolExecutor({ maxThreads: 1 })] });
});
