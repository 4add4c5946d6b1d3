/**
 * The app cache key covers the app's code for apps exported from a module (they ship by
 * reference): a real driver (`parsl-ts run --resume`) reuses its checkpoint while the
 * module is unchanged, and recomputes once the app's body was edited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'parsl-ts.js');
const INDEX = JSON.stringify(pathToFileURL(join(ROOT, 'src', 'index.ts')).href);

const appsModule = (body: string) => `
import { appendFileSync } from 'node:fs';
import { app } from ${INDEX};

export const square = app(function square(dir: string, x: number) {
  appendFileSync(dir + '/executed.log', x + ' ' + process.pid + '\\n');
  ${body}
}, { cache: true });
`;

const WORKFLOW = `
import { writeFileSync } from 'node:fs';
import { load, ThreadPoolExecutor } from ${INDEX};
import { square } from './apps.ts';

const dfk = await load({ executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })] });
const values = await Promise.all([1, 2, 3].map((x) => square(process.cwd(), x)));
writeFileSync('result.json', JSON.stringify({ values, pid: process.pid }));
await dfk.cleanup();
`;

async function runResume(dir: string): Promise<{ values: number[]; executed: number }> {
  const child = spawn(process.execPath, [CLI, 'run', 'workflow.ts', '--no-progress', '--resume'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  assert.equal(code, 0, output);
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { values: number[]; pid: number };
  const log = join(dir, 'executed.log');
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  return { values: result.values, executed: lines.filter((line) => Number(line.split(' ')[1]) === result.pid).length };
}

test('an exported cached app whose body was edited is recomputed on --resume; unchanged, it is memoized', { timeout: 120_000 }, async () => {
  const dir = tempDir('parsl-ts-cache-key-');
  try {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'workflow.ts'), WORKFLOW);
    writeFileSync(join(dir, 'apps.ts'), appsModule('return x * x;'));

    const first = await runResume(dir);
    assert.deepEqual(first, { values: [1, 4, 9], executed: 3 });

    const unchanged = await runResume(dir);
    assert.deepEqual(unchanged, { values: [1, 4, 9], executed: 0 }, 'the unchanged app is memoized from the checkpoint');

    writeFileSync(join(dir, 'apps.ts'), appsModule('return x * x + 1;'));
    const edited = await runResume(dir);
    assert.deepEqual(edited, { values: [2, 5, 10], executed: 3 }, 'the edited app is recomputed');

    const again = await runResume(dir);
    assert.deepEqual(again, { values: [2, 5, 10], executed: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
