import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

test('README: the first-workflow tutorial runs as written', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const tutorial = readme.slice(readme.indexOf('## Your first workflow'));
  const code = /```ts\n([\s\S]*?)```/.exec(tutorial)![1]!;
  // Inside the repository, 'parsl-ts' resolves to this package (self-reference).
  const dir = mkdtempSync(join(root, '.tmp-readme-'));
  try {
    writeFileSync(join(dir, 'flow.ts'), code);
    const result = spawnSync(process.execPath, [join(root, 'bin', 'parsl-ts.js'), 'run', 'flow.ts'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), '30');
    assert.equal(readFileSync(join(dir, 'report.txt'), 'utf8'), 'sum of squares: 30\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
