import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runIn(cwd: string, name: string, ...options: string[]): string {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'parsl-ts.js'), 'run', join(root, 'examples', name), ...options],
    { cwd, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

function runExample(name: string): string {
  const cwd = tempDir('parsl-ts-example-');
  try {
    return runIn(cwd, name);
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

test('examples/pilot-jobs.ts: tasks run in the worker processes of a LocalProvider block', () => {
  // Usually both workers share the tasks; a worker still starting may leave them all to the other.
  assert.match(runExample('pilot-jobs.ts'), /20 tasks ran in [12] worker processes \(ranks (0, 1|0|1)\) on .*none in the driver \(pid \d+\): true/);
});

test('examples/retry-and-resume.ts: retries, then a --resume run reuses every checkpointed result', () => {
  const cwd = tempDir('parsl-ts-example-');
  try {
    assert.match(runIn(cwd, 'retry-and-resume.ts'), /squares 1, 4, 9, 16, 25/);
    const first = readFileSync(join(cwd, 'runinfo', '000', 'parsl.log'), 'utf8');
    assert.equal(first.match(/retrying/g)?.length, 3, 'the three odd inputs failed once and were retried');
    assert.match(runIn(cwd, 'retry-and-resume.ts', '--resume'), /squares 1, 4, 9, 16, 25/);
    const second = readFileSync(join(cwd, 'runinfo', '001', 'parsl.log'), 'utf8');
    assert.equal(second.match(/memoized: .* from checkpoint/g)?.length, 5);
    assert.doesNotMatch(second, /launched on executor/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
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
