/**
 * FTP transfers, run on workers, with basic-ftp. Credentials come from the URL
 * (`ftp://user:password@host/path`) or the provider's options, else anonymous. Uploads go
 * to a temporary name on the server and are renamed when complete.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Client } from 'basic-ftp';
import { stagingError, writeAtomically } from './transfer.js';

/** This module, for staging plans (workers import it to run the transfers below). */
export const FTP_TRANSFER_MODULE = import.meta.url;

export interface FTPStagingOptions {
  /** User name when the URL has none. Default `anonymous`. */
  user?: string;
  /** Password when the URL has none. */
  password?: string;
  /** Explicit FTPS (TLS). Default false. */
  secure?: boolean;
  /** Seconds of silence before a transfer fails. Default 60. */
  timeout?: number;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  return url.replace(/^(ftp:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

async function connect(url: URL, options: FTPStagingOptions): Promise<Client> {
  const { Client } = await import('basic-ftp');
  const client = new Client((options.timeout ?? 60) * 1000);
  try {
    await client.access({
      host: url.hostname,
      port: url.port === '' ? 21 : Number(url.port),
      user: url.username !== '' ? decodeURIComponent(url.username) : options.user ?? 'anonymous',
      password: url.password !== '' ? decodeURIComponent(url.password) : options.password ?? 'parsl-ts@',
      secure: options.secure ?? false,
    });
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

/** Downloads `url` to `localPath` (temporary name, renamed when complete). */
export async function ftpDownload(url: string, localPath: string, options: FTPStagingOptions = {}): Promise<void> {
  const shown = redactedUrl(url);
  try {
    await writeAtomically(shown, localPath, async (tempPath) => {
      const parsed = new URL(url);
      const client = await connect(parsed, options);
      try {
        const remotePath = decodeURIComponent(parsed.pathname);
        // basic-ftp ends without an error when the data connection closes early: compare sizes.
        const expected = await client.size(remotePath).catch(() => undefined);
        await client.downloadTo(tempPath, remotePath);
        if (expected !== undefined) {
          const { stat } = await import('node:fs/promises');
          const got = (await stat(tempPath)).size;
          if (got !== expected) throw new Error(`connection closed after ${got} of ${expected} bytes`);
        }
      } finally {
        client.close();
      }
    });
  } catch (error) {
    throw stagingError(shown, error, 'download failed');
  }
}

/** Uploads `localPath` to `url`, creating the remote directory if needed. */
export async function ftpUpload(url: string, localPath: string, options: FTPStagingOptions = {}): Promise<void> {
  const shown = redactedUrl(url);
  const parsed = new URL(url);
  let client: Client | undefined;
  const remotePath = decodeURIComponent(parsed.pathname);
  const tempPath = posix.join(posix.dirname(remotePath), `.${posix.basename(remotePath)}.parsl-partial-${randomBytes(4).toString('hex')}`);
  try {
    client = await connect(parsed, options);
    await client.ensureDir(posix.dirname(remotePath));
    await client.uploadFrom(localPath, tempPath);
    await client.rename(tempPath, remotePath);
  } catch (error) {
    if (client !== undefined && !client.closed) await client.remove(tempPath, true).catch(() => undefined);
    throw stagingError(shown, error, 'upload failed');
  } finally {
    client?.close();
  }
}
