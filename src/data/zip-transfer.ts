/**
 * Zip member transfers, run on workers: read a member out of an archive, or write a file
 * into one. Writers of the same archive take turns through a lock file beside it; the new
 * archive is written under a temporary name and renamed, so readers never see half of it.
 */
import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { stagingError, writeAtomically } from './transfer.js';

/** This module, for staging plans (workers import it to run the transfers below). */
export const ZIP_TRANSFER_MODULE = import.meta.url;

/** A lock older than this is left over from a writer that died. */
const STALE_LOCK_MS = 60_000;

/** Splits `/dir/archive.zip/member/path` into the archive and the member (Parsl's rule). */
export function splitZipPath(path: string): [archive: string, member: string] {
  const at = path.indexOf('.zip/');
  return [path.slice(0, at + 4), path.slice(at + 5)];
}

async function withLock<T>(archive: string, work: () => Promise<T>): Promise<T> {
  const lockPath = `${archive}.lock`;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await rm(lockPath, { force: true });
      else await sleep(10);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** Extracts the member of `zipPath` to `localPath`. */
export async function zipExtract(url: string, zipPath: string, localPath: string): Promise<void> {
  const [archive, member] = splitZipPath(zipPath);
  await writeAtomically(url, localPath, async (tempPath) => {
    const { default: AdmZip } = await import('adm-zip');
    const entry = new AdmZip(await readFile(archive)).getEntry(member);
    if (entry === null) throw new Error(`${archive} has no member ${member}`);
    await writeFile(tempPath, entry.getData());
  });
}

/** Adds (or replaces) the member of `zipPath` with the contents of `localPath`. */
export async function zipStore(url: string, zipPath: string, localPath: string): Promise<void> {
  const [archive, member] = splitZipPath(zipPath);
  try {
    const content = await readFile(localPath);
    const { default: AdmZip } = await import('adm-zip');
    await withLock(archive, async () => {
      const zip = existsSync(archive) ? new AdmZip(await readFile(archive)) : new AdmZip();
      if (zip.getEntry(member) !== null) zip.deleteFile(member);
      zip.addFile(member, content);
      const bytes = zip.toBuffer();
      await writeAtomically(url, archive, (tempPath) => writeFile(tempPath, bytes), 'cannot store in the zip file');
    });
  } catch (error) {
    throw stagingError(url, error, 'cannot store in the zip file');
  }
}
