import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigurationError } from '../../src/errors.js';
import { LocalProvider, type LocalProviderOptions } from '../../src/providers/local.js';
import { SimpleLauncher } from '../../src/providers/launchers/simple.js';
import { SingleNodeLauncher } from '../../src/providers/launchers/single-node.js';

describe('LocalProvider options', () => {
  it("has Parsl's defaults", () => {
    const provider = new LocalProvider();
    assert.equal(provider.initBlocks, 1);
    assert.equal(provider.minBlocks, 0);
    assert.equal(provider.maxBlocks, 1);
    assert.equal(provider.nodesPerBlock, 1);
    assert.equal(provider.parallelism, 1);
    assert.equal(provider.walltime, undefined, 'a local block has no walltime unless the user sets one');
    assert.equal(provider.workerInit, '');
    assert.equal(provider.cmdTimeout, 30);
    assert.ok(provider.launcher instanceof SingleNodeLauncher);
  });

  it('keeps what the user gave', () => {
    const launcher = new SimpleLauncher();
    const provider = new LocalProvider({ initBlocks: 0, minBlocks: 1, maxBlocks: 4, parallelism: 0.5, walltime: '01:00:00', launcher, workerInit: 'module load x' });
    assert.deepEqual([provider.initBlocks, provider.minBlocks, provider.maxBlocks, provider.parallelism, provider.walltime, provider.workerInit],
      [0, 1, 4, 0.5, '01:00:00', 'module load x']);
    assert.equal(provider.launcher, launcher);
  });

  const bad: [LocalProviderOptions, string][] = [
    [{ maxBlocks: -1 }, 'maxBlocks'],
    [{ initBlocks: 1.5 }, 'initBlocks'],
    [{ nodesPerBlock: 0 }, 'nodesPerBlock'],
    [{ parallelism: 2 }, 'parallelism'],
    [{ walltime: 'an hour' }, 'walltime'],
    [{ launcher: {} as never }, 'launcher'],
    [{ workerInit: 3 as never }, 'workerInit'],
    [{ cmdTimeout: 0 }, 'cmdTimeout'],
    [{ minBlocks: 3, maxBlocks: 2 }, 'minBlocks'],
    [{ initBlocks: 2 }, 'initBlocks'],
    [{ maxblocks: 2 } as never, 'maxblocks'],
  ];
  for (const [options, key] of bad) {
    it(`refuses ${JSON.stringify(options)} with a ConfigurationError naming '${key}'`, () => {
      assert.throws(() => new LocalProvider(options), (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.equal(error.key, key);
        assert.match(error.message, new RegExp(`'${key}'`));
        return true;
      });
    });
  }
});
