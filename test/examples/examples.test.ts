import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runExample(name: string): string {
  const cwd = tempDir('parsl-ts-example-');
  try {
    const result = spawnSync(process.execPath, [join(root, 'bin', 'parsl-ts.js'), 'run', join(root, 'examples', name)],
      { cwd, encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

test('examples/hello.ts: two apps and a dependency', () => {
  assert.equal(runExample('hello.ts').trim(), 'Hello, WORLD!');
});

test('examples/shell-pipeline.ts: bash apps joined by files', () => {
  assert.match(runExample('shell-pipeline.ts'), /pipeline: 1000 numbers, min \d+, max \d+/);
});

test('examples/map-reduce.ts: 1,000 tasks reduced to an estimate of pi', () => {
  const out = runExample('map-reduce.ts');
  assert.match(out, /1000 sample tasks \+ 33 sum tasks/);
  const pi = Number(/pi ≈ ([\d.]+)/.exec(out)![1]);
  assert.ok(Math.abs(pi - Math.PI) < 0.01, out);
});
