import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigurationError } from '../../../src/errors.js';
import { HighThroughputExecutor, type HighThroughputExecutorOptions } from '../../../src/executors/htex/high-throughput-executor.js';
import { resolveHtexOptions } from '../../../src/executors/htex/options.js';
import { workerCount } from '../../../src/executors/htex/manager.js';
import { workerEnv } from '../../../src/executors/htex/worker-process.js';
import { LocalProvider } from '../../../src/providers/local.js';

test('defaults are Parsl\'s', () => {
  const o = resolveHtexOptions({});
  assert.equal(o.label, 'htex');
  assert.equal(o.maxWorkersPerNode, Infinity);
  assert.equal(o.coresPerWorker, 1);
  assert.equal(o.memPerWorker, 0);
  assert.equal(o.prefetchCapacity, 0);
  assert.equal(o.heartbeatPeriod, 30);
  assert.equal(o.heartbeatThreshold, 120);
  assert.equal(o.drainPeriod, undefined);
  assert.equal(o.address, '127.0.0.1'); // LocalProvider by default
  assert.equal(o.encrypted, false);
  assert.ok(o.provider instanceof LocalProvider);
  assert.deepEqual(resolveHtexOptions({ availableAccelerators: 2 }).availableAccelerators, ['0', '1']);
});

test('a bad option is a ConfigurationError naming it', () => {
  const bad: [HighThroughputExecutorOptions, string][] = [
    [{ maxWorkersPerNode: 0 }, 'maxWorkersPerNode'],
    [{ maxWorkersPerNode: 1.5 }, 'maxWorkersPerNode'],
    [{ coresPerWorker: -1 }, 'coresPerWorker'],
    [{ memPerWorker: Number.NaN }, 'memPerWorker'],
    [{ prefetchCapacity: -1 }, 'prefetchCapacity'],
    [{ heartbeatPeriod: 0 }, 'heartbeatPeriod'],
    [{ heartbeatPeriod: 10, heartbeatThreshold: 5 }, 'heartbeatThreshold'],
    [{ drainPeriod: -3 }, 'drainPeriod'],
    [{ address: '' }, 'address'],
    [{ workerPortRange: [60000, 50000] }, 'workerPortRange'],
    [{ availableAccelerators: 'gpu0' as never }, 'availableAccelerators'],
    [{ availableAccelerators: ['0; rm -rf /'] }, 'availableAccelerators'],
    [{ encrypted: 'yes' as never }, 'encrypted'],
    [{ provider: {} as never }, 'provider'],
    [{ label: 'has space' }, 'label'],
    [{ maxWorkers: 2 } as never, 'maxWorkers'],
  ];
  for (const [options, key] of bad) {
    assert.throws(() => new HighThroughputExecutor(options), (error: Error) => {
      assert.ok(error instanceof ConfigurationError, `${key}: ${error}`);
      assert.equal((error as ConfigurationError).key, key);
      assert.match(error.message, new RegExp(key));
      return true;
    });
  }
});

class Exposed extends HighThroughputExecutor {
  command(blockId: string): string { return this.launchCommand(blockId); }
}

test('the launch command names the interchange, the secret file and every worker option, never the secret', () => {
  const executor = new Exposed({
    maxWorkersPerNode: 3, coresPerWorker: 0.5, prefetchCapacity: 4, heartbeatPeriod: 2, heartbeatThreshold: 9, drainPeriod: 60,
    availableAccelerators: ['0', '1'], workerInit: 'module load node',
  });
  const command = executor.command('7');
  assert.match(command, /^module load node\n/);
  assert.ok(command.includes(process.execPath));
  for (const part of ['worker-pool', '--block-id 7', '--max-workers-per-node 3', '--cores-per-worker 0.5', '--prefetch-capacity 4',
    '--heartbeat-period 2', '--heartbeat-threshold 9', '--drain-period 60', '--available-accelerators 0 1', '--secret-file']) {
    assert.ok(command.includes(part), `missing ${part} in ${command}`);
  }
  assert.doesNotMatch(command, /[0-9a-f]{64}/);
});

test('the worker count follows cores, memory, accelerators and maxWorkersPerNode, and is at least one', () => {
  const base = { maxWorkersPerNode: Infinity, coresPerWorker: 1, memPerWorker: 0, availableAccelerators: [] as string[] };
  assert.equal(workerCount(base, 8, 64), 8);
  assert.equal(workerCount({ ...base, maxWorkersPerNode: 2 }, 8, 64), 2);
  assert.equal(workerCount({ ...base, coresPerWorker: 0.5 }, 2, 64), 4);
  assert.equal(workerCount({ ...base, memPerWorker: 16 }, 8, 40), 2);
  assert.equal(workerCount({ ...base, availableAccelerators: ['a', 'b', 'c'] }, 8, 64), 3);
  assert.equal(workerCount({ ...base, coresPerWorker: 4 }, 2, 64), 1);
});

test('each worker gets its rank, the pool size and id, its own accelerator, and no secret', () => {
  const env = workerEnv({ rank: 1, count: 2, poolId: 'pool-x', blockId: '3', accelerator: 'gpu1' }, { PATH: '/bin', PARSL_HTEX_SECRET: 'abc' });
  assert.equal(env.PARSL_WORKER_RANK, '1');
  assert.equal(env.PARSL_WORKER_COUNT, '2');
  assert.equal(env.PARSL_WORKER_POOL_ID, 'pool-x');
  assert.equal(env.CUDA_VISIBLE_DEVICES, 'gpu1');
  assert.equal(env.ROCR_VISIBLE_DEVICES, 'gpu1');
  assert.equal(env.ZE_AFFINITY_MASK, 'gpu1');
  assert.equal(env.PARSL_HTEX_SECRET, undefined);
  assert.equal(env.PATH, '/bin');
  assert.equal(workerEnv({ rank: 0, count: 1, poolId: 'p', blockId: '0', accelerator: undefined }, {}).CUDA_VISIBLE_DEVICES, undefined);
});
