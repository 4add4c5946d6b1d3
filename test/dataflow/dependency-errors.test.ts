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
