/** Shared test helpers: a DataFlowKernel on threads in a temporary run dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, ThreadPoolExecutor, type Config, type DataFlowKernel } from '../src/index.js';

export function tempDir(prefix = 'parsl-ts-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
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
