/** Shared test helpers: a DataFlowKernel on threads in a temporary run dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, ThreadPoolExecutor, type Config, type DataFlowKernel } from '../src/index.js';

const made = new Set<string>();
// Tests remove their directories when they can; whatever is left goes when the file's process ends.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed at the latest when this test file's process exits. */
export function tempDir(prefix = 'parsl-ts-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Loads a DFK for the duration of `body`, then cleans it up and removes its run dir. */
export async function withDfk<T>(body: (dfk: DataFlowKernel, dir: string) => Promise<T>, overrides: Partial<Config> = {}): Promise<T> {
  const dir = tempDir();
  const dfk = await load({ executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'), ...overrides });
  try {
    return await body(dfk, dir);
  } finally {
    await dfk.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
