/** Helpers for the staging tests: a DFK on either executor, and checks that nothing half-written is left. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  load, HighThroughputExecutor, LocalProvider, ThreadPoolExecutor, type DataFlowKernel, type StagingProvider,
} from '../../src/index.js';
import { tempDir } from '../helpers.js';

export type ExecutorKind = 'threads' | 'htex';
export const EXECUTOR_KINDS: ExecutorKind[] = ['threads', 'htex'];

export interface StagingRun {
  dfk: DataFlowKernel;
  /** Where staged files land: the driver's directory (threads) or the HTEX workingDir. */
  workDir: string;
}

/**
 * Runs `body` with a DFK on one executor of `kind` with `storageAccess`. The test process
 * works in a temporary directory (threads stage into it); HTEX workers run in a working
 * directory of their own.
 */
export async function withStaging<T>(kind: ExecutorKind, storageAccess: StagingProvider[] | undefined, body: (run: StagingRun) => Promise<T>, retries = 0): Promise<T> {
  const dir = tempDir('parsl-ts-staging-');
  process.chdir(dir);
  const workDir = kind === 'threads' ? dir : join(dir, 'htex-work');
  const executor = kind === 'threads'
    ? new ThreadPoolExecutor({ label: 'threads', maxThreads: 2, ...(storageAccess ? { storageAccess } : {}) })
    : new HighThroughputExecutor({
      label: 'htex', maxWorkersPerNode: 2, workingDir: workDir, heartbeatPeriod: 1, heartbeatThreshold: 4,
      provider: new LocalProvider({ initBlocks: 1, statusPollingInterval: 200 }), ...(storageAccess ? { storageAccess } : {}),
    });
  const dfk = await load({ executors: [executor], runDir: join(dir, 'runinfo'), retries });
  try {
    return await body({ dfk, workDir });
  } finally {
    await dfk.cleanup();
  }
}

/** Names in `dir` that a transfer left half-written. */
export function partialFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.parsl-partial'));
}
