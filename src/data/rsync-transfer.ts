/**
 * rsync transfers over ssh, run on workers with the `rsync` binary. The worker must reach
 * the host without a prompt (a key in its ssh configuration, or `sshOptions`); `BatchMode`
 * makes a missing key an error instead of a hang.
 */
import { spawn } from 'node:child_process';
import { stagingError, writeAtomically } from './transfer.js';

/** This module, for staging plans (workers import it to run the transfers below). */
export const RSYNC_TRANSFER_MODULE = import.meta.url;

export interface RSyncStagingOptions {
  /**
   * The host holding local (`file`) paths, as Parsl's `RSyncStaging(hostname)`: workers fetch
   * the driver's files from it. Without it, only `rsync://` and `host:path` Files are staged.
   */
  hostname?: string;
  /** Extra ssh arguments, e.g. `['-i', keyPath, '-o', 'StrictHostKeyChecking=accept-new']`. */
  sshOptions?: string[];
  /** Extra rsync arguments. */
  rsyncOptions?: string[];
  /** Seconds of I/O silence before rsync gives up (`--timeout`). Default 60. */
  timeout?: number;
}

/** What rsync is told: `[user@]host:path`, and the ssh port of an `rsync://host:port/…` URL. */
export interface RemoteSpec { target: string; port?: string }

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function rsync(url: string, args: string[], options: RSyncStagingOptions, port: string | undefined): Promise<void> {
  const ssh = ['ssh', '-o', 'BatchMode=yes', ...(port === undefined ? [] : ['-p', port]), ...(options.sshOptions ?? [])];
  const argv = ['-t', `--timeout=${options.timeout ?? 60}`, '-e', ssh.map(shellWord).join(' '), ...(options.rsyncOptions ?? []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('rsync', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000); });
    child.once('error', (error) => reject(stagingError(url, error, 'cannot run rsync')));
    child.once('exit', (code, signal) => {
      if (code === 0) { resolve(); return; }
      const lines = stderr.trim().split('\n').filter((line) => line !== '').slice(-3).join('; ');
      reject(stagingError(url, new Error(`rsync ${signal ? `killed by ${signal}` : `exited with code ${code}`}${lines ? `: ${lines}` : ''}`), 'rsync failed'));
    });
  });
}

/** Copies the remote file to `localPath` (temporary name, renamed when complete). */
export async function rsyncDownload(url: string, remote: RemoteSpec, localPath: string, options: RSyncStagingOptions = {}): Promise<void> {
  await writeAtomically(url, localPath, (tempPath) => rsync(url, [remote.target, tempPath], options, remote.port));
}

/** Copies `localPath` to the remote file (rsync writes a temporary file there and renames it). */
export async function rsyncUpload(url: string, remote: RemoteSpec, localPath: string, options: RSyncStagingOptions = {}): Promise<void> {
  await rsync(url, [localPath, remote.target], options, remote.port);
}
