/**
 * Worker side of staging: what every transfer shares. Nothing is half-written: a download
 * goes to a temporary name beside its target and is renamed when complete; on any failure
 * the temporary file is removed and the error is a StagingError naming the URL and reason.
 * Imports nothing from the driver's layers.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StagingError } from '../errors.js';
import { loadFunction } from '../serialize/code-loader.js';
import type { Transfer } from './staging.js';

/** This module: staging tasks run its `stagingTask`. */
export const TRANSFER_MODULE = import.meta.url;

/** Transfers one worker runs at once (a batch of staging, or the files of one task). */
export const TRANSFER_CONCURRENCY = 16;

/** A StagingError for `url`, keeping one that already is one. */
export function stagingError(url: string, error: unknown, what = 'transfer failed'): StagingError {
  if (error instanceof StagingError) return error;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? 'file';
  const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message) : String(error);
  return new StagingError(url, scheme, `${what}: ${reason}`);
}

/**
 * Writes `localPath` through `write(tempPath)`: creates its directory, renames the temporary
 * file into place on success, removes it on failure (rethrown as StagingError naming `url`).
 */
export async function writeAtomically(url: string, localPath: string, write: (tempPath: string) => Promise<void>, what = 'download failed'): Promise<void> {
  const dir = dirname(localPath);
  const tempPath = join(dir, `.${basename(localPath)}.parsl-partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await write(tempPath);
    await rename(tempPath, localPath);
  } catch (error) {
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw stagingError(url, error, what);
  }
}

/** Runs `work` on every item, at most `limit` at a time; resolves when all ended. */
export async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Runs one transfer on this worker. */
export async function runTransfer(transfer: Transfer): Promise<void> {
  // Loaded as app code is (TypeScript modules included), once per worker.
  const fn = await loadFunction({
    id: `staging:${transfer.module}#${transfer.exportName}`, kind: 'reference',
    name: transfer.exportName, moduleUrl: transfer.module, exportName: transfer.exportName,
  });
  await fn(...transfer.args);
}

/** The reason part of a StagingError's message (the URL is named again when it is rebuilt). */
function reasonOf(error: unknown): string {
  if (!(error instanceof StagingError)) return `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
  const prefix = `File ${error.url} cannot be staged: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/** Runs a task's in-task transfers, a few at once; throws the first failure once all ended. */
export async function runTransfers(transfers: readonly Transfer[]): Promise<void> {
  let first: unknown;
  await eachBounded(transfers, TRANSFER_CONCURRENCY, async (transfer) => {
    try { await runTransfer(transfer); } catch (error) { first ??= error; }
  });
  if (first !== undefined) throw first;
}

/**
 * A separate staging task: runs a batch of transfers, a few at once. Resolves to one entry
 * per transfer: null when it succeeded, else the reason it failed (so that each file's
 * DataFuture fails on its own, and only failed files are tried again).
 */
export async function stagingTask(transfers: Transfer[]): Promise<(string | null)[]> {
  const outcomes: (string | null)[] = transfers.map(() => null);
  await eachBounded(transfers, TRANSFER_CONCURRENCY, async (transfer, index) => {
    try {
      await runTransfer(transfer);
    } catch (error) {
      outcomes[index] = reasonOf(error);
    }
  });
  return outcomes;
}
