/**
 * The checkpoint store: `runinfo/NNN/checkpoint/tasks.ckpt`, append-only, one record per
 * successful cached task. A record is `[u32 length][u32 check][v8.serialize({ key, value,
 * taskId, app, time })]`, written with a single `write`, so a driver killed mid-write leaves
 * at most its last record torn. A write that fails part-way is cut back off; the reader
 * also skips any torn or corrupt record with a warning and resumes at the next intact one.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
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

/**
 * Appends records to one run's checkpoint file; opened on first write. A write that fails
 * part-way (disk full, file too large) is cut back off the file, so the records written
 * after it are readable; the records it held are kept and written again with the next write.
 */
export class CheckpointWriter {
  readonly dir: string;
  readonly path: string;
  #fd: number | undefined;
  /** The file's length after the last complete write. */
  #size = 0;
  /** Set when a torn write could not be cut off at once: the next write first cuts it off. */
  #tornAt: number | undefined;
  #pending: Buffer[] = [];
  #written = 0;

  constructor(runDir: string) {
    this.dir = join(runDir, CHECKPOINT_DIR);
    this.path = join(this.dir, CHECKPOINT_FILE);
  }

  /** Records written so far. */
  get written(): number {
    return this.#written;
  }

  /** Records waiting for the next `flush` (queued, or kept from a failed write). */
  get queued(): number {
    return this.#pending.length;
  }

  /** Writes now (task_exit), after any record kept from a failed write. */
  write(record: Buffer): void {
    this.#pending.push(record);
    this.flush();
  }

  /** Keeps the record for the next `flush` (periodic, dfk_exit, manual). */
  queue(record: Buffer): void {
    this.#pending.push(record);
  }

  /**
   * Writes every pending record (one write when all goes well); returns how many. Throws
   * the write's error if any record could not be written; those stay pending.
   */
  flush(): number {
    const pending = this.#pending;
    if (pending.length === 0) return 0;
    this.#pending = [];
    try {
      this.#append(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
      this.#written += pending.length;
      return pending.length;
    } catch (error) {
      if (pending.length === 1) {
        this.#pending = pending;
        throw error;
      }
    }
    // One at a time, so that a record that cannot be written holds back no other.
    let written = 0;
    let failure: unknown;
    for (const record of pending) {
      try {
        this.#append(record);
        written++;
      } catch (error) {
        this.#pending.push(record);
        failure = error;
      }
    }
    this.#written += written;
    if (failure !== undefined) throw failure;
    return written;
  }

  /** Makes the checkpoint directory exist even before anything was written. */
  ensureDir(): void {
    mkdirSync(this.dir, { recursive: true });
  }

  #append(bytes: Buffer): void {
    if (this.#fd === undefined) {
      this.ensureDir();
      this.#fd = openSync(this.path, 'a');
      this.#size = fstatSync(this.#fd).size;
    }
    if (this.#tornAt !== undefined) {
      ftruncateSync(this.#fd, this.#tornAt);
      this.#tornAt = undefined;
    }
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      // Cut the torn record off: a record appended after it would be unreadable.
      try { ftruncateSync(this.#fd, this.#size); } catch { this.#tornAt = this.#size; }
      throw error;
    }
    this.#size += bytes.length;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** v8.serialize output starts with its version tag. */
const V8_VERSION_TAG = 0xff;

/** Whether a whole, intact record starts at `offset`. */
function isRecordAt(bytes: Buffer, offset: number): boolean {
  if (bytes.length - offset < HEADER + 1) return false;
  const length = bytes.readUInt32BE(offset);
  if (length === 0 || length > bytes.length - offset - HEADER || bytes[offset + HEADER] !== V8_VERSION_TAG) return false;
  return check(bytes.subarray(offset + HEADER, offset + HEADER + length)) === bytes.readUInt32BE(offset + 4);
}

/** The offset of the next intact record after a bad one at `from`, or -1. */
function resynchronise(bytes: Buffer, from: number): number {
  // A record torn by a failed write is followed by the next whole record.
  for (let offset = from + 1; offset <= bytes.length - HEADER - 1; offset++) {
    if (isRecordAt(bytes, offset)) return offset;
  }
  return -1;
}

/**
 * Reads a checkpoint file (or a checkpoint directory; one with no file yet holds no
 * records). A torn or corrupt record is skipped with a warning and reading resumes at the
 * next intact record, so a write that failed part-way loses nothing written after it.
 */
export function readCheckpoint(path: string, logger?: Logger): CheckpointRecord[] {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const file = isDir ? join(path, CHECKPOINT_FILE) : path;
  if (isDir && !existsSync(file)) return [];
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigurationError(`checkpoint ${path} cannot be read: ${(error as Error).message}`, 'checkpointFiles');
  }
  const records: CheckpointRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const start = offset;
    if (!isRecordAt(bytes, start)) {
      const next = resynchronise(bytes, start);
      if (next < 0) {
        logger?.warn(`checkpoint ${file}: last record is truncated or corrupt (${bytes.length - start} bytes at offset ${start}; the driver was probably killed while writing it): skipped`);
        break;
      }
      logger?.warn(`checkpoint ${file}: record at offset ${start} is torn or corrupt: skipped ${next - start} bytes; reading resumes at offset ${next}`);
      offset = next;
      continue;
    }
    const length = bytes.readUInt32BE(start);
    offset += HEADER + length;
    try {
      const record = deserialize(bytes.subarray(start + HEADER, offset)) as CheckpointRecord;
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
