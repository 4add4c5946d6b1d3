import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, ConfigurationError, ThreadPoolExecutor, load, type Config } from '../../src/index.js';
import { tempDir } from '../helpers.js';

const threads = () => new ThreadPoolExecutor({ maxThreads: 1 });

function rejectsKey(config: unknown, key: string): void {
  assert.throws(() => defineConfig(config as Config), (error: unknown) => {
    assert.ok(error instanceof ConfigurationError, String(error));
    assert.equal(error.key, key);
    assert.match(error.message, new RegExp(key.replace('.', '\\.')));
    return true;
  });
}

test('monitoring options are checked key by key; a bad one is a ConfigurationError naming monitoring.<key>', () => {
  for (const monitoring of [true, {}, { dbUrl: 'sqlite:///tmp/monitoring.db' }, { dbUrl: 'postgresql://u:p@localhost:5432/db' },
    { workflowName: 'x', workflowVersion: '1', resourceMonitoringEnabled: false, resourceMonitoringInterval: 0.2 }, undefined, null, false]) {
    defineConfig({ executors: [threads()], monitoring } as Config);
  }
  rejectsKey({ executors: [threads()], monitoring: { dbURL: 'x.db' } }, 'monitoring.dbURL');
  rejectsKey({ executors: [threads()], monitoring: { dbUrl: 'mysql://localhost/db' } }, 'monitoring.dbUrl');
  rejectsKey({ executors: [threads()], monitoring: { resourceMonitoringInterval: -1 } }, 'monitoring.resourceMonitoringInterval');
  // 0 turns sampling off, as in Parsl.
  assert.doesNotThrow(() => defineConfig({ executors: [threads()], monitoring: { resourceMonitoringInterval: 0 } }));
  rejectsKey({ executors: [threads()], monitoring: { resourceMonitoringEnabled: 'no' } }, 'monitoring.resourceMonitoringEnabled');
  rejectsKey({ executors: [threads()], monitoring: { workflowName: 3 } }, 'monitoring.workflowName');
});

test('unknown keys and wrong types are a ConfigurationError naming the key', () => {
  rejectsKey({ executors: [threads()], retires: 2 }, 'retires');
  rejectsKey({ executors: [threads()], retries: -1 }, 'retries');
  rejectsKey({ executors: [threads()], retries: 'three' }, 'retries');
  rejectsKey({ executors: [threads()], checkpointMode: 'sometimes' }, 'checkpointMode');
  rejectsKey({ executors: [threads()], strategy: 'fast' }, 'strategy');
  rejectsKey({ executors: [threads()], appCache: 'yes' }, 'appCache');
  rejectsKey({ executors: [threads()], monitoring: [] }, 'monitoring');
  rejectsKey({ executors: [] }, 'executors');
  rejectsKey({ executors: [{ label: 'fake' }] }, 'executors');
  rejectsKey({}, 'executors');
});

test('executor labels must be unique', () => {
  assert.throws(() => defineConfig({ executors: [threads(), threads()] }), /label 'threads' is used twice/);
});

test('a valid config is returned as given', () => {
  const config = { executors: [threads()], retries: 2, checkpointMode: 'task_exit' as const, checkpointPeriod: '00:10:00' };
  assert.equal(defineConfig(config), config);
});

test('ThreadPoolExecutor refuses a bad maxThreads', () => {
  assert.throws(() => new ThreadPoolExecutor({ maxThreads: 0 }), ConfigurationError);
});

test('load() without a config uses parsl.config.ts in the working directory', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'sub'));
  const here = new URL('../../src/index.ts', import.meta.url).href;
  writeFileSync(join(dir, 'parsl.config.ts'), `import { defineConfig, ThreadPoolExecutor } from '${here}';
export default defineConfig({ executors: [new ThreadPoolExecutor({ label: 'from-file', maxThreads: 1 })], runDir: ${JSON.stringify(join(dir, 'runs'))} });
`);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const dfk = await load();
    try {
      assert.deepEqual([...dfk.executors.keys()], ['from-file']);
      assert.ok(dfk.runDir.startsWith(join(dir, 'runs')));
    } finally {
      await dfk.cleanup();
    }
  } finally {
    process.chdir(cwd);
  }
});

test('load() without any config file runs on a thread pool with one thread per core', async () => {
  const dir = tempDir();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const dfk = await load();
    try {
      const executor = dfk.executors.get('threads');
      assert.ok(executor instanceof ThreadPoolExecutor);
      assert.equal(executor.maxThreads, (await import('node:os')).availableParallelism());
    } finally {
      await dfk.cleanup();
    }
  } finally {
    process.chdir(cwd);
  }
});
