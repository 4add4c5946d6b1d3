/**
 * Members of zip archives (Parsl's ZipFileStaging): `zip:/path/archive.zip/member/path`
 * is staged in by extracting the member, and out by storing the file into the archive
 * (created if missing), each as a separate staging task. The member lands under its own
 * path, in the working directory if the executor has one.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { StagingError } from '../errors.js';
import type { File } from './file.js';
import { stagedPath, type StagingPlan, type StagingProvider, type StagingTarget } from './staging.js';
import { splitZipPath, ZIP_TRANSFER_MODULE } from './zip-transfer.js';

export class ZipFileStaging implements StagingProvider {
  canStageIn(file: File): boolean {
    if (file.scheme !== 'zip') return false;
    if (file.netloc !== '') throw new StagingError(file.url, 'zip', `ZipFileStaging cannot stage a zip URL with a host (${file.netloc}); write zip:/path/archive.zip/member`);
    return true;
  }

  canStageOut(file: File): boolean {
    return this.canStageIn(file);
  }

  #plan(file: File, target: StagingTarget, exportName: string): StagingPlan {
    file.localPath = stagedPath(splitZipPath(file.path)[1], target);
    // The archive is the one the driver names, wherever the worker runs.
    const zipPath = isAbsolute(file.path) ? file.path : resolve(file.path);
    return { mode: 'separate-task', transfer: { module: ZIP_TRANSFER_MODULE, exportName, args: [file.url, zipPath, file.localPath] } };
  }

  stageIn(file: File, target: StagingTarget): StagingPlan {
    return this.#plan(file, target, 'zipExtract');
  }

  /** Also makes the member's directory, so that the app can write it (as Parsl does). */
  stageOut(file: File, target: StagingTarget): StagingPlan {
    const plan = this.#plan(file, target, 'zipStore');
    mkdirSync(dirname(resolve(file.filepath)), { recursive: true });
    return plan;
  }
}
