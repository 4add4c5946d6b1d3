/**
 * The app cache key covers the app's code for apps exported from a module (they ship by
 * reference): a real driver (`parsl-ts run --resume`) reuses its checkpoint while the
 * module is unchanged, and recomputes once the app's body was edited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { PARSL_TS_INDEX, runResume } from './resume-run.js';

const INDEX = PARSL_TS_INDEX;

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

/** The values of a resumed run and how many squares it really computed. */
async function runSquares(dir: string): Promise<{ values: number[]; executed: number }> {
  const run = await runResume<{ values: number[]; pid: number }>(dir);
  return { values: run.result.values, executed: run.executed.length };
}

test('an exported cached app whose body was edited is recomputed on --resume; unchanged, it is memoized', { timeout: 120_000 }, async () => {
  const dir = tempDir('parsl-ts-cache-key-');
  try {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'workflow.ts'), WORKFLOW);
    writeFileSync(join(dir, 'apps.ts'), appsModule('return x * x;'));

    const first = await runSquares(dir);
    assert.deepEqual(first, { values: [1, 4, 9], executed: 3 });

    const unchanged = await runSquares(dir);
    assert.deepEqual(unchanged, { values: [1, 4, 9], executed: 0 }, 'the unchanged app is memoized from the checkpoint');

    writeFileSync(join(dir, 'apps.ts'), appsModule('return x * x + 1;'));
    const edited = await runSquares(dir);
    assert.deepEqual(edited, { values: [2, 5, 10], executed: 3 }, 'the edited app is recomputed');

    const again = await runSquares(dir);
    assert.deepEqual(again, { values: [2, 5, 10], executed: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
