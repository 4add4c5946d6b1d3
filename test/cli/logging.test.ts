/** Log levels a user controls: parsl.log and the console, by config, PARSL_LOG_LEVEL and --log-level. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, ConfigurationError, ThreadPoolExecutor } from '../../src/index.js';
import { tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'parsl-ts.js');
const indexUrl = new URL('../../src/index.ts', import.meta.url).href;

function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [bin, 'run', 'flow.ts', '--no-progress', ...args],
    { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PARSL_LOG_LEVEL: '', ...env } });
  assert.equal(result.status, 0, result.stderr);
  const logPath = join(dir, 'runinfo', '000', 'parsl.log');
  return { stderr: result.stderr, log: existsSync(logPath) ? readFileSync(logPath, 'utf8') : '' };
}

function workflow(logLevel?: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'flow.ts'), `import { app, load, ThreadPoolExecutor } from '${indexUrl}';
const square = app((x: number) => x * x);
await load({ executors: [new ThreadPoolExecutor({ maxThreads: 1 })]${logLevel ? `, logLevel: ${logLevel}` : ''} });
console.log(await square(3));
`);
  return dir;
}

test('by default the console stays quiet and parsl.log gets everything', () => {
  const dir = workflow();
  try {
    const { stderr, log } = run(dir, []);
    assert.equal(stderr, '');
    assert.match(log, /INFO Task 0 submitted for app square/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('--log-level and PARSL_LOG_LEVEL show log lines of that level and above on stderr', () => {
  const dir = workflow();
  try {
    assert.match(run(dir, ['--log-level', 'info']).stderr, /parsl-ts INFO dfk: Task 0 submitted for app square/);
    rmSync(join(dir, 'runinfo'), { recursive: true });
    const warningsOnly = run(dir, [], { PARSL_LOG_LEVEL: 'WARNING' }).stderr;
    assert.doesNotMatch(warningsOnly, /INFO/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the config key sets the file and console levels; the environment overrides the console', () => {
  const dir = workflow("{ file: 'WARNING', console: 'INFO' }");
  try {
    const { stderr, log } = run(dir, []);
    assert.match(stderr, /INFO dfk: Task 0 submitted/);
    assert.doesNotMatch(log, /INFO/);
    rmSync(join(dir, 'runinfo'), { recursive: true });
    assert.equal(run(dir, ['--log-level', 'ERROR']).stderr, '');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('bad levels are refused, naming where they came from', () => {
  const executors = [new ThreadPoolExecutor({ label: 't' })];
  assert.throws(() => defineConfig({ executors, logLevel: 'LOUD' as never }), (error: unknown) =>
    error instanceof ConfigurationError && /config key 'logLevel' must be one of "DEBUG", "INFO"/.test(error.message));
  const dir = workflow();
  try {
    const bad = spawnSync(process.execPath, [bin, 'run', 'flow.ts', '--log-level', 'loud'], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--log-level <level>' argument 'loud' is invalid/);
    const badEnv = spawnSync(process.execPath, [bin, 'run', 'flow.ts', '--no-progress'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PARSL_LOG_LEVEL: 'loud' } });
    assert.equal(badEnv.status, 1);
    assert.match(badEnv.stderr, /PARSL_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, OFF, got "loud"/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
