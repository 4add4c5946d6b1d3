/** Where tasks run: priority order on one worker; one worker per accelerator. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app } from '../../src/index.js';
import { startHtex, stopHtex } from './htex-helpers.js';

const stamp = app(function stamp(label: string, _kw: { priority?: number }) {
  const started = performance.timeOrigin + performance.now();
  const until = Date.now() + 5;
  while (Date.now() < until) { /* 5 ms of work, so the order is observable */ }
  return { label, started };
});
const devices = app(async function devices() {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return [process.env.PARSL_WORKER_RANK, process.env.CUDA_VISIBLE_DEVICES, process.env.ROCR_VISIBLE_DEVICES, process.env.ZE_AFFINITY_MASK];
});

test('queued tasks run lowest priority first, then in submission order', async () => {
  const run = await startHtex({ maxWorkersPerNode: 1 });
  try {
    const plan: [string, number | undefined][] = [['p5', 5], ['p1a', 1], ['none', undefined], ['p3', 3], ['p1b', 1], ['m2', -2], ['p0', 0]];
    const results = await Promise.all(plan.map(([label, priority]) => stamp(label, priority === undefined ? {} : { priority })));
    const order = results.sort((a, b) => a.started - b.started).map((r) => r.label);
    assert.deepEqual(order, ['m2', 'none', 'p0', 'p1a', 'p1b', 'p3', 'p5']);
  } finally {
    await stopHtex(run);
  }
});

test('availableAccelerators: one worker per accelerator, each pinned to its own', async () => {
  const run = await startHtex({ maxWorkersPerNode: undefined, availableAccelerators: ['3', '5'] });
  try {
    const seen = new Map<string, string[]>();
    for (let round = 0; round < 50 && seen.size < 2; round++) {
      for (const [rank, cuda, rocr, ze] of await Promise.all(Array.from({ length: 4 }, () => devices()))) {
        assert.equal(cuda, rocr);
        assert.equal(cuda, ze);
        seen.set(rank!, [...new Set([...(seen.get(rank!) ?? []), cuda!])]);
      }
    }
    assert.deepEqual([...seen.entries()].sort(), [['0', ['3']], ['1', ['5']]]);
    assert.equal(run.executor.managers()[0]!.workerCount, 2);
  } finally {
    await stopHtex(run);
  }
});
