import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, joinApp, DependencyError, JoinError } from '../../src/index.js';
import { withDfk } from '../helpers.js';

const add = app(function add(a: number, b: number) { return a + b; });
const fail = app(function fail(message: string): number { throw new RangeError(message); });

test('DependencyError and JoinError carry the root failure as their standard cause', async () => {
  await withDfk(async () => {
    const root = fail('root failure');
    const middle = add(root, 1);
    const bottom = add(middle, 1);
    await assert.rejects(bottom, (error: unknown) => {
      assert.ok(error instanceof DependencyError);
      assert.ok(error.failed[0]!.error instanceof DependencyError, 'the direct dependency failed with DependencyError');
      assert.ok(error.cause instanceof RangeError);
      assert.equal(error.cause, root.exception(), 'the root failure itself, however deep the chain');
      return true;
    });
    const fanIn = joinApp(() => [add(1, 1), fail('inner failure')]);
    await assert.rejects(fanIn(), (error: unknown) => {
      assert.ok(error instanceof JoinError);
      assert.ok(error.cause instanceof RangeError);
      assert.equal((error.cause as Error).message, 'inner failure');
      return true;
    });
    const joinOfFailedChain = joinApp(() => middle);
    await assert.rejects(joinOfFailedChain(), (error: unknown) => error instanceof JoinError && error.cause === root.exception());
  });
});

const failLoud = app(function failLoud(block: number): number {
  // Like a block's stderr in an error message: long, and the same for every task.
  throw new RangeError(`block ${block} failed: ${'stderr line of the failed block\n'.repeat(30)}`);
});
const total = app((values: number[]) => values.reduce((s, v) => s + v, 0));
const failExit = app(function failExit(): number { throw new TypeError('other kind'); });

test("a fan-in's DependencyError stays short: failed ids, the first error in full, the rest counted by class", async () => {
  await withDfk(async (dfk) => {
    const inputs = [...Array.from({ length: 60 }, () => failLoud(7)), failExit(), add(1, 1)];
    const fanIn = total(inputs);
    await assert.rejects(fanIn, (error: unknown) => {
      assert.ok(error instanceof DependencyError);
      assert.equal(error.failed.length, 61, 'programs still get every failure');
      assert.ok(error.failed.every((f) => f.error instanceof Error));
      const first = inputs[0]!.exception()!;
      assert.equal(error.message.split(first.message).length - 1, 1, 'the first error in full, once');
      assert.ok(error.message.length < first.message.length + 600, `message of ${error.message.length} characters`);
      assert.match(error.message, new RegExp(`task ${inputs[0]!.taskId}\\b`));
      assert.match(error.message, /61 dependencies failed/);
      assert.match(error.message, /59 RangeError, 1 TypeError/);
      return true;
    });
    const joined = joinApp(() => inputs.slice(0, 60));
    await assert.rejects(joined(), (error: unknown) => error instanceof JoinError && error.failed.length === 60
      && /60 inner futures failed/.test(error.message) && error.message.length < inputs[0]!.exception()!.message.length + 600);
    // Downstream of the fan-in, the message does not grow with the chain.
    const after = add(add(fanIn, 1), 1);
    const fanInError = fanIn.exception() as DependencyError;
    assert.equal(fanInError.cause, fanInError.failed[0]!.error, "the fan-in's root failure is its first failed input's");
    await assert.rejects(after, (error: unknown) => error instanceof DependencyError && error.message.length < 400 && error.cause === fanInError.cause);
    await dfk.waitForCurrentTasks();
  });
});
