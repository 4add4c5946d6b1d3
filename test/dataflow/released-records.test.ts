import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { app, type AppFuture } from '../../src/index.js';
import { withDfk } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const noop = app(function noop() { return 0; });
const add = app(function add(a: number, b: number) { return a + b; });

async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

test('the DFK lets go of a task once it ended: its record and arguments can be collected', async () => {
  await withDfk(async (dfk) => {
    let future: AppFuture<number> | undefined = add(add(1, 2), 3);
    const record = new WeakRef(future.taskRecord!);
    const size = app(function size(o: { big: number[] }) { return o.big.length; });
    const submitWithArgument = () => {
      const argument = { big: new Array(1000).fill(7) };
      return { ref: new WeakRef(argument), future: size(argument) };
    };
    const submitted = submitWithArgument();
    const argumentRef = submitted.ref;
    let withArgument: AppFuture<number> | undefined = submitted.future;
    assert.equal(await future, 6);
    assert.equal(await withArgument, 1000);
    assert.equal(dfk.taskRecord(future.taskId), undefined);
    assert.equal(future.taskRecord!.args.length, 0, 'arguments are dropped at the end, even while the future is held');
    future = undefined;
    withArgument = undefined;
    await collect();
    assert.equal(record.deref(), undefined, 'record collected once nobody holds its future');
    assert.equal(argumentRef.deref(), undefined, 'arguments collected');
  });
});

test('memory stays flat over a long run of tasks whose futures are dropped', async () => {
  await withDfk(async (dfk) => {
    const round = async () => {
      const futures: AppFuture<number>[] = [];
      for (let i = 0; i < 20_000; i++) futures.push(noop());
      await Promise.all(futures);
    };
    const heap = async () => { await dfk.logger.flush(); await collect(); return process.memoryUsage().heapUsed; };
    await round();
    await round();
    const base = await heap();
    for (let r = 0; r < 6; r++) await round();
    const after = await heap();
    const perTask = (after - base) / 120_000;
    assert.ok(perTask < 20, `heap grew ${perTask.toFixed(1)} bytes per finished task (${base} → ${after})`);
    assert.ok(dfk.counts().done >= 160_000);
  });
});
