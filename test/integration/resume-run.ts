/**
 * Runs `parsl-ts run workflow.ts --resume` in a directory, as a user would, for the tests
 * that check what a resumed run re-executes. The workflow writes `result.json` (with its
 * `pid`) and its apps append `<what> <pid>` lines to `executed.log` when they really run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'parsl-ts.js');
/** The import specifier of parsl-ts's sources, for workflow files the tests write. */
export const PARSL_TS_INDEX = JSON.stringify(pathToFileURL(join(ROOT, 'src', 'index.ts')).href);

export interface ResumedRun<Result> {
  output: string;
  result: Result;
  /** What this run really executed (the first word of its executed.log lines). */
  executed: string[];
}

export async function runResume<Result extends { pid: number }>(dir: string): Promise<ResumedRun<Result>> {
  const child = spawn(process.execPath, [CLI, 'run', 'workflow.ts', '--no-progress', '--resume'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  assert.equal(code, 0, output);
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Result;
  const log = join(dir, 'executed.log');
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  const executed = lines.filter((line) => Number(line.split(' ')[1]) === result.pid).map((line) => line.split(' ')[0]!);
  return { output, result, executed };
}
