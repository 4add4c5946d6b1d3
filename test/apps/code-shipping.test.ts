import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, bashApp, AppDefinitionError, ParslError, SerializationError } from '../../src/index.js';
import { withDfk } from '../helpers.js';
import { loud, baseOf, failCustom, CustomFailure, importBare } from '../fixtures/module-apps.js';

test('an entry-script app that uses a variable of an enclosing function is refused at definition, naming it', () => {
  const factor = 10;
  assert.throws(() => app(function scaled(x: number) { return x * factor; }), (error: unknown) => {
    assert.ok(error instanceof AppDefinitionError);
    assert.deepEqual(error.capturedNames, ['factor']);
    assert.match(error.message, /'factor' is a variable of an enclosing function/);
    assert.match(error.message, /argument|export/);
    return true;
  });
  assert.throws(() => bashApp(() => `echo ${factor}`), AppDefinitionError);
});

test('globals (process, setTimeout, Buffer, console) are fine in entry-script apps', async () => {
  const usesGlobals = app(async () => {
    await new Promise((r) => setTimeout(r, 1));
    return `${typeof process.pid}:${Buffer.from('ok').toString()}`;
  });
  await withDfk(async () => {
    assert.equal(await usesGlobals(), 'number:ok');
  });
});

test('apps exported from another module ship by reference and may use its imports', async () => {
  await withDfk(async () => {
    assert.equal(await loud('hi'), 'HI!');
    assert.equal(await baseOf('/a/b/c.txt'), 'c.txt');
    assert.equal(await importBare(), 'function');
  });
});

test('an error class exported by the app\'s module arrives as that class (a ParslError subclass here)', async () => {
  await withDfk(async () => {
    await assert.rejects(failCustom(), (error: unknown) => {
      assert.ok(error instanceof CustomFailure);
      assert.ok(error instanceof ParslError);
      assert.match((error as Error).stack ?? '', /failCustom/);
      assert.equal((error as Error).name, 'CustomFailure');
      assert.equal((error as Error).message, 'custom failure from a worker');
      return true;
    });
  });
});

test('dynamic import inside an entry-script app resolves bare specifiers', async () => {
  const parseWithAcorn = app(async (text: string) => {
    const acorn = await import('acorn');
    return (acorn.parse(text, { ecmaVersion: 'latest' }) as unknown as { body: unknown[] }).body.length;
  });
  await withDfk(async () => {
    assert.equal(await parseWithAcorn('a; b; c'), 3);
  });
});

test('an argument or result that cannot be cloned fails only that task, naming it', async () => {
  const identity = app((_value: unknown, _other?: number) => 'ran');
  const returnsFunction = app(() => () => 1);
  const ok = app((x: number) => x + 1);
  await withDfk(async () => {
    const badArg = identity(1, (() => 2) as unknown as number);
    const good = ok(1);
    const badResult = returnsFunction();
    await assert.rejects(badArg, (error: unknown) => error instanceof SerializationError && /argument 1/.test(error.message));
    await assert.rejects(badResult, (error: unknown) => error instanceof SerializationError && /result/.test(error.message));
    assert.equal(await good, 2);
    assert.equal(await ok(41), 42);
  });
});

test('a ParslError subclass the driver cannot name still arrives as a ParslError', async () => {
  const throwsLocalClass = app(async () => {
    const { ParslError: Base } = await import('parsl-ts');
    class StageFailed extends Base {}
    throw new StageFailed('stage 3 failed');
  });
  await withDfk(async () => {
    await assert.rejects(throwsLocalClass(), (error: unknown) =>
      error instanceof ParslError && (error as Error).name === 'StageFailed' && (error as Error).message === 'stage 3 failed');
  });
});
