/**
 * The checkpoint store: `runinfo/NNN/checkpoint/tasks.ckpt`, append-only, one record per
 * successful cached task. A record is `[u32 length][u32 check][v8.serialize({ key, value,
 * taskId, app, time })]`, written with a single `write`, so a driver killed mid-write leaves
 * at most its last record torn; the reader detects that and skips it with a warning.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { ConfigurationError } from '../errors.js';
import { reviveFiles } from '../executors/runner.js';
import type { Logger } from '../util/logger.js';
import { listRunDirs } from './run-dir.js';

export const CHECKPOINT_DIR = 'checkpoint';
export const CHECKPOINT_FILE = 'tasks.ckpt';
const HEADER = 8;

/** One result as stored. */
export interface CheckpointRecord {
  key: string;
  value: unknown;
  taskId: number;
  app: string;
  /** Milliseconds since the epoch when the result was recorded. */
  time: number;
}

function check(payload: Uint8Array): number {
  return createHash('sha1').update(payload).digest().readUInt32BE(0);
}

/** Encodes one record as the bytes appended to the file. */
export function encodeRecord(record: CheckpointRecord): Buffer {
  const payload = serialize(record);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(check(payload), 4);
  return Buffer.concat([header, payload], HEADER + payload.length);
}

/** Appends records to one run's checkpoint file; opened on first write. */
export class CheckpointWriter {
  readonly dir: string;
  readonly path: string;
  #fd: number | undefined;
  #queued: Buffer[] = [];
  #written = 0;

  constructor(runDir: string) {
    this.dir = join(runDir, CHECKPOINT_DIR);
    this.path = join(this.dir, CHECKPOINT_FILE);
  }

  /** Records written so far. */
  get written(): number {
    return this.#written;
  }

  /** Records waiting for the next `flush`. */
  get queued(): number {
    return this.#queued.length;
  }

  /** Writes now (task_exit): the record is in the file when this returns. */
  write(record: Buffer): void {
    this.#append(record);
    this.#written++;
  }

  /** Keeps the record for the next `flush` (periodic, dfk_exit, manual). */
  queue(record: Buffer): void {
    this.#queued.push(record);
  }

  /** Writes every queued record with one write; returns how many. */
  flush(): number {
    const count = this.#queued.length;
    if (count === 0) return 0;
    const bytes = count === 1 ? this.#queued[0]! : Buffer.concat(this.#queued);
    this.#queued = [];
    this.#append(bytes);
    this.#written += count;
    return count;
  }

  #append(bytes: Buffer): void {
    if (this.#fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.#fd = openSync(this.path, 'a');
    }
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset, bytes.length - offset);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Reads a checkpoint file (or a checkpoint directory). A torn last record is skipped with
 * a warning; a record whose check fails is skipped with a warning and reading goes on.
 */
export function readCheckpoint(path: string, logger?: Logger): CheckpointRecord[] {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, CHECKPOINT_FILE) : path;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigurationError(`checkpoint ${path} cannot be read: ${(error as Error).message}`, 'checkpointFiles');
  }
  const records: CheckpointRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    const length = left >= HEADER ? bytes.readUInt32BE(offset) : -1;
    if (length < 0 || length > left - HEADER) {
      logger?.warn(`checkpoint ${file}: last record is truncated (${left} bytes at offset ${offset}; the driver was probably killed while writing it): skipped`);
      break;
    }
    const payload = bytes.subarray(offset + HEADER, offset + HEADER + length);
    const start = offset;
    offset += HEADER + length;
    if (check(payload) !== bytes.readUInt32BE(start + 4)) {
      logger?.warn(`checkpoint ${file}: record at offset ${start} is corrupt (check mismatch): skipped`);
      continue;
    }
    try {
      const record = deserialize(payload) as CheckpointRecord;
      record.value = reviveFiles(record.value);
      records.push(record);
    } catch (error) {
      logger?.warn(`checkpoint ${file}: record at offset ${start} cannot be decoded (${(error as Error).message}): skipped`);
    }
  }
  return records;
}

/** Checkpoint directories of every run under `runDir` that wrote one, oldest first. */
export function getAllCheckpoints(runDir = 'runinfo'): string[] {
  return listRunDirs(runDir)
    .map((dir) => join(dir, CHECKPOINT_DIR))
    .filter((dir) => existsSync(join(dir, CHECKPOINT_FILE)));
}

/** The checkpoint directory of the latest run that wrote one, as a list of zero or one. */
export function getLastCheckpoint(runDir = 'runinfo'): string[] {
  const all = getAllCheckpoints(runDir);
  return all.length === 0 ? [] : [all[all.length - 1]!];
}
