/**
 * rsync over ssh, inside the app's task on its worker (as Parsl's RSyncStaging): `rsync://`
 * URLs and `[user@]host:path` Files, plus local paths when `hostname` names the host that
 * holds them (workers without the driver's filesystem pull the driver's files).
 */
import { isAbsolute, resolve } from 'node:path';
import type { File } from './file.js';
import { RSYNC_TRANSFER_MODULE, type RemoteSpec, type RSyncStagingOptions } from './rsync-transfer.js';
import { stagedPath, type StagingPlan, type StagingProvider, type StagingTarget } from './staging.js';

export type { RSyncStagingOptions };

export class RSyncStaging implements StagingProvider {
  readonly options: RSyncStagingOptions;

  /** A host name (Parsl's `RSyncStaging(hostname)`) or options. */
  constructor(options: string | RSyncStagingOptions = {}) {
    this.options = typeof options === 'string' ? { hostname: options } : options;
  }

  canStageIn(file: File): boolean {
    return file.scheme === 'rsync' || (file.scheme === 'file' && this.options.hostname !== undefined);
  }

  canStageOut(file: File): boolean {
    return this.canStageIn(file);
  }

  #remote(file: File): RemoteSpec {
    if (file.scheme === 'file') return { target: `${this.options.hostname}:${isAbsolute(file.path) ? file.path : resolve(file.path)}` };
    if (!file.url.startsWith('rsync://')) return { target: `${file.netloc}:${file.path}` };
    const url = new URL(file.url);
    const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
    const target = `${user}${url.hostname}:${file.path}`;
    return url.port === '' ? { target } : { target, port: url.port };
  }

  #plan(file: File, target: StagingTarget, exportName: string): StagingPlan {
    const remote = this.#remote(file);
    file.localPath = stagedPath(file.filename, target);
    const { hostname: _hostname, ...options } = this.options;
    return { mode: 'in-task', transfer: { module: RSYNC_TRANSFER_MODULE, exportName, args: [file.url, remote, file.localPath, options] } };
  }

  stageIn(file: File, target: StagingTarget): StagingPlan {
    return this.#plan(file, target, 'rsyncDownload');
  }

  stageOut(file: File, target: StagingTarget): StagingPlan {
    return this.#plan(file, target, 'rsyncUpload');
  }
}
