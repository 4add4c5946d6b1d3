/**
 * HTTP(S) transfers, run on workers: download with `fetch` (undici: redirects followed,
 * a custom CA for self-signed servers), upload with PUT. One connection pool per set of
 * options and worker, so many small files reuse connections.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Agent } from 'undici';
import { StagingError } from '../errors.js';
import { stagingError, writeAtomically } from './transfer.js';

/** This module, for staging plans (workers import it to run the transfers below). */
export const HTTP_TRANSFER_MODULE = import.meta.url;

export interface HTTPStagingOptions {
  /** PEM certificate(s) to trust besides the system's: a self-signed or private CA's server. */
  ca?: string | string[];
  /** Extra request headers (an `Authorization` header, for example). */
  headers?: Record<string, string>;
  /** Seconds to wait for the response headers, and between chunks of the body. Default 60. */
  timeout?: number;
}

const agents = new Map<string, Promise<Agent>>();

function agentFor(options: HTTPStagingOptions): Promise<Agent> {
  const key = JSON.stringify([options.ca ?? null, options.timeout ?? null]);
  let agent = agents.get(key);
  if (agent === undefined) {
    const timeoutMs = (options.timeout ?? 60) * 1000;
    agent = import('undici').then(({ Agent }) => new Agent({
      connections: 16, headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
      connect: options.ca === undefined ? { timeout: timeoutMs } : { timeout: timeoutMs, ca: options.ca },
    }));
    agents.set(key, agent);
  }
  return agent;
}

async function request(url: string, init: Record<string, unknown>, options: HTTPStagingOptions): Promise<Response> {
  const [{ fetch }, dispatcher] = await Promise.all([import('undici'), agentFor(options)]);
  const response = await fetch(url, { ...init, dispatcher, redirect: 'follow', headers: { ...options.headers, ...(init['headers'] as object) } } as never);
  return response as unknown as Response;
}

function statusError(url: string, method: string, response: Response): StagingError {
  const scheme = url.startsWith('https:') ? 'https' : 'http';
  return new StagingError(url, scheme, `${method} failed: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
}

/** Downloads `url` to `localPath` (temporary name, renamed when complete). */
export async function httpDownload(url: string, localPath: string, options: HTTPStagingOptions = {}): Promise<void> {
  await writeAtomically(url, localPath, async (tempPath) => {
    const response = await request(url, { method: 'GET' }, options);
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw statusError(url, 'GET', response);
    }
    const body = response.body === null ? Readable.from([]) : Readable.fromWeb(response.body as unknown as WebReadableStream);
    await pipeline(body, createWriteStream(tempPath));
  });
}

/** Uploads `localPath` to `url` with PUT (the server decides how it stores it). */
export async function httpUpload(url: string, localPath: string, options: HTTPStagingOptions = {}): Promise<void> {
  try {
    const { size } = await stat(localPath);
    const response = await request(url, {
      method: 'PUT', body: createReadStream(localPath), duplex: 'half', headers: { 'content-length': String(size) },
    }, options);
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) throw statusError(url, 'PUT', response);
  } catch (error) {
    throw stagingError(url, error, 'upload failed');
  }
}
