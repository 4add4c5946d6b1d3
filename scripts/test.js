#!/usr/bin/env node
// Runs test files with Node's test runner through tsx (Node 20's `--test` takes no globs),
// against parsl-ts's sources.
//   node scripts/test.js            unit tests: test/**/*.test.ts outside test/integration
//   node scripts/test.js integration  test/integration/**/*.test.ts
//   node scripts/test.js <paths…>     the given files or folders
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const args = process.argv.slice(2);
let files;
if (args.length === 0) files = testFiles('test').filter((f) => !relative('test', f).startsWith('integration'));
else if (args.length === 1 && args[0] === 'integration') files = testFiles(join('test', 'integration'));
else files = args.flatMap((a) => (statSync(a).isDirectory() ? testFiles(a) : [a]));

// The development condition makes `parsl-ts` (and every parsl-ts process the tests start:
// CLI, managers, workers) run from src/ without a build; tsx runs the test files.
const nodeOptions = [process.env.NODE_OPTIONS, '--conditions=development'].filter(Boolean).join(' ');
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: nodeOptions },
});
process.exit(result.status ?? 1);
