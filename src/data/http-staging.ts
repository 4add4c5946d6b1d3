/** What the two HTTP(S) staging providers share; they differ only in where the transfer runs. */
import type { File } from './file.js';
import { HTTP_TRANSFER_MODULE, type HTTPStagingOptions } from './http-transfer.js';
import { stagedPath, type StagingPlan, type StagingProvider, type StagingTarget } from './staging.js';

export type { HTTPStagingOptions };

export abstract class HTTPStaging implements StagingProvider {
  protected abstract readonly mode: StagingPlan['mode'];

  /** `options.ca`: PEM certificates to trust (a self-signed server); `headers`; `timeout` in seconds. */
  constructor(readonly options: HTTPStagingOptions = {}) {}

  canStageIn(file: File): boolean {
    return file.scheme === 'http' || file.scheme === 'https';
  }

  /** Uploads with PUT, for servers that accept it (WebDAV, object stores). */
  canStageOut(file: File): boolean {
    return this.canStageIn(file);
  }

  stageIn(file: File, target: StagingTarget): StagingPlan {
    file.localPath = stagedPath(file.filename, target);
    return { mode: this.mode, transfer: { module: HTTP_TRANSFER_MODULE, exportName: 'httpDownload', args: [file.url, file.localPath, this.options] } };
  }

  stageOut(file: File, target: StagingTarget): StagingPlan {
    file.localPath = stagedPath(file.filename, target);
    return { mode: this.mode, transfer: { module: HTTP_TRANSFER_MODULE, exportName: 'httpUpload', args: [file.url, file.localPath, this.options] } };
  }
}
