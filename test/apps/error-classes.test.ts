import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map } from '../../src/index.js';
import { withDfk } from '../helpers.js';
import { failNarrow, failPlain, NarrowFailure, PlainFailure } from './error-classes.fixture.js';

test('an exported error class without its own name arrives as that class, name unchanged', async () => {
  await withDfk(async () => {
    await assert.rejects(failPlain(), (error: unknown) => {
      assert.ok(error instanceof PlainFailure, `revived as ${Object.getPrototypeOf(error).constructor.name}`);
      assert.equal(error.constructor, PlainFailure);
      assert.equal(error.name, 'Error', 'the name is what the class inherits, as on the worker');
      assert.equal(error.message, 'plain failure from a worker');
      assert.match(error.stack!, /failPlain/, 'the remote stack');
      return true;
    });
  });
});

test('an exported subclass of a built-in error arrives as that class, with its fields', async () => {
  await withDfk(async () => {
    await assert.rejects(failNarrow(3), (error: unknown) => {
      assert.ok(error instanceof NarrowFailure);
      assert.ok(error instanceof RangeError);
      assert.equal(error.name, 'RangeError');
      assert.equal(error.limit, 3);
      return true;
    });
  });
});

test('items of a chunked map fail with the exported class too', async () => {
  await withDfk(async () => {
    const outcomes = await Promise.allSettled(map(failNarrow, [1, 2], { chunk: 2 }));
    for (const [i, outcome] of outcomes.entries()) {
      assert.equal(outcome.status, 'rejected');
      const error = (outcome as PromiseRejectedResult).reason as unknown;
      assert.ok(error instanceof NarrowFailure, String(error));
      assert.equal(error.limit, i + 1);
    }
  });
});
