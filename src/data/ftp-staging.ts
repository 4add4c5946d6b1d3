/** What the two FTP staging providers share; they differ only in where the transfer runs. */
import type { File } from './file.js';
import { FTP_TRANSFER_MODULE, type FTPStagingOptions } from './ftp-transfer.js';
import { stagedPath, type StagingPlan, type StagingProvider, type StagingTarget } from './staging.js';

export type { FTPStagingOptions };

export abstract class FTPStaging implements StagingProvider {
  protected abstract readonly mode: StagingPlan['mode'];

  /** `options.user`/`password` when the URL has none (default anonymous); `secure`; `timeout` in seconds. */
  constructor(readonly options: FTPStagingOptions = {}) {}

  canStageIn(file: File): boolean {
    return file.scheme === 'ftp';
  }

  canStageOut(file: File): boolean {
    return file.scheme === 'ftp';
  }

  stageIn(file: File, target: StagingTarget): StagingPlan {
    file.localPath = stagedPath(file.filename, target);
    return { mode: this.mode, transfer: { module: FTP_TRANSFER_MODULE, exportName: 'ftpDownload', args: [file.url, file.localPath, this.options] } };
  }

  stageOut(file: File, target: StagingTarget): StagingPlan {
    file.localPath = stagedPath(file.filename, target);
    return { mode: this.mode, transfer: { module: FTP_TRANSFER_MODULE, exportName: 'ftpUpload', args: [file.url, file.localPath, this.options] } };
  }
}
