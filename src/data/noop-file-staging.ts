/**
 * Local files (bare paths and `file://` URLs) need no transfer: workers share the driver's
 * filesystem. With a working directory, a relative path still means the file the driver
 * means, so it is made absolute against the driver's directory.
 */
import { isAbsolute, resolve } from 'node:path';
import type { File } from './file.js';
import type { StagingPlan, StagingProvider, StagingTarget } from './staging.js';

export class NoOpFileStaging implements StagingProvider {
  canStageIn(file: File): boolean {
    return file.scheme === 'file';
  }

  canStageOut(file: File): boolean {
    return file.scheme === 'file';
  }

  stageIn(file: File, target: StagingTarget): StagingPlan | undefined {
    if (target.workingDir !== undefined && !isAbsolute(file.path)) file.localPath = resolve(file.path);
    return undefined;
  }

  stageOut(file: File, target: StagingTarget): StagingPlan | undefined {
    return this.stageIn(file, target);
  }
}
