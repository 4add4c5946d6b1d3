/**
 * The HighThroughputExecutor wire format, shared by the interchange, the managers and the
 * workers: length-prefixed binary frames `[u32 length][u8 type][payload]` (length counts
 * the type byte and the payload). Tasks travel as one `v8.serialize` per batch, not per
 * task (a batch element costs ~0.1 µs, a separate call ~3 µs); results carry their task
 * ids in a binary header so a manager can forward them without decoding them.
 */
import { serialize, deserialize } from 'node:v8';
import type { CodeSpec } from '../../serialize/code.js';
import type { StdStreamSpec } from '../runner.js';
import type { Transfer } from '../../data/staging.js';

/** Bumped whenever a frame's meaning changes; peers with another version are refused. */
export const PROTOCOL_VERSION = 3;
export const MAGIC = 0x50545348; // 'PTSH'
/** Default cap on one frame (type byte + payload). */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;
/** How a manager tells its workers the frame cap (results bigger than it fail alone). */
export const MAX_FRAME_ENV = 'PARSL_HTEX_MAX_FRAME_BYTES';
/** Set in a worker's environment when monitoring is on: seconds between resource samples, 0 for none. */
export const MONITORING_ENV = 'PARSL_MONITORING_INTERVAL';
/** Cap before a peer has authenticated: handshake frames are tiny. */
export const HANDSHAKE_MAX_FRAME_BYTES = 256;

export const enum MessageType {
  /** Handshake (security.ts): server nonce, client proof, server proof. */
  Hello = 1,
  Auth = 2,
  Welcome = 3,
  /** Manager → interchange: JSON RegisterMessage. */
  Register = 10,
  /** Interchange → manager: JSON RegisteredMessage. A manager that lost its link registers again with the same id. */
  Registered = 11,
  /** Interchange → manager: JSON { message }; the connection then closes. */
  Refused = 12,
  /** Interchange → manager, manager → worker: a task batch (encodeTaskBatch). */
  Tasks = 20,
  /** Worker → manager → interchange: a result batch (encodeResultBatch). */
  Results = 21,
  /** Manager → interchange: u32 number of tasks it wants to hold. */
  Capacity = 22,
  /**
   * Interchange → manager: f64 number of result frames received from it since it registered.
   * The manager keeps the result frames not yet acknowledged, to send them again after a reconnect.
   */
  Ack = 23,
  /** Either way: an empty frame that says "still here". */
  Heartbeat = 30,
  /** Manager → interchange: it takes no more tasks (drainPeriod); JSON { reason }. */
  Draining = 31,
  /** Interchange → manager: take no more tasks, finish, exit (scale-in, shutdown). */
  Drain = 32,
  /** Interchange → manager: stop workers now and exit. */
  Shutdown = 33,
  /** Manager → interchange: JSON { message } for the interchange's log (worker lost, …). */
  Log = 34,
  /** Worker → manager: started and ready for tasks. */
  Ready = 40,
  /**
   * Manager → worker: u32 task ids to give back if they have not started. Interchange →
   * manager (empty): another manager is idle, give back the tasks you cannot start soon.
   */
  Reclaim = 41,
  /** Worker → manager, manager → interchange: u32 ids of the tasks given back (they will not run there). */
  Returned = 42,
  /**
   * Worker → manager → interchange (relayed as is), only when monitoring is on: when tasks
   * started and resource samples of running tries (encodeMonitoring). Sent before the
   * results of the same tasks.
   */
  Monitoring = 43,
}

/** Raised for any frame a peer should not have sent; the connection is then dropped. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export type FrameHandler = (type: number, payload: Buffer) => void;

/**
 * Splits a byte stream into frames. Enforces the size cap from the 4-byte header alone, so
 * an oversized frame is refused before its bytes are buffered.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #needed = -1; // length of the frame being assembled, -1 while its header is incomplete
  #stopped = false;

  /** Handler and cap may change between two frames (after the handshake). */
  constructor(public maxFrameBytes: number, public onFrame: FrameHandler) {}

  /** Ignores everything after the current frame (the connection is being dropped). */
  stop(): void {
    this.#stopped = true;
    this.#chunks = [];
    this.#buffered = 0;
  }

  push(chunk: Buffer): void {
    if (this.#stopped) return;
    if (this.#buffered === 0 && this.#needed < 0) {
      this.#parseFrom(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#needed >= 0 && this.#buffered < this.#needed + 4) return;
    const all = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    this.#needed = -1;
    this.#parseFrom(all);
  }

  #parseFrom(data: Buffer): void {
    let offset = 0;
    while (data.length - offset >= 4) {
      if (this.#stopped) return;
      const length = data.readUInt32BE(offset);
      if (length < 1) throw new ProtocolError('empty frame');
      if (length > this.maxFrameBytes) throw new ProtocolError(`frame of ${length} bytes exceeds the cap of ${this.maxFrameBytes}`);
      if (data.length - offset - 4 < length) {
        this.#needed = length;
        break;
      }
      const type = data[offset + 4]!;
      const payload = data.subarray(offset + 5, offset + 4 + length);
      offset += 4 + length;
      this.onFrame(type, payload);
    }
    if (this.#stopped) return;
    if (offset < data.length) {
      const rest = data.subarray(offset);
      this.#chunks.push(rest);
      this.#buffered = rest.length;
      if (rest.length >= 4) this.#needed = rest.readUInt32BE(0);
    }
  }
}

/** One frame as a single buffer. */
export function frame(type: MessageType, payload?: Buffer | Uint8Array): Buffer {
  const length = payload ? payload.length : 0;
  const out = Buffer.allocUnsafe(5 + length);
  out.writeUInt32BE(length + 1, 0);
  out[4] = type;
  if (payload) out.set(payload, 5);
  return out;
}

/** The 5-byte header of a frame whose payload is written separately. */
export function frameHeader(type: MessageType, payloadLength: number): Buffer {
  const out = Buffer.allocUnsafe(5);
  out.writeUInt32BE(payloadLength + 1, 0);
  out[4] = type;
  return out;
}

export function jsonFrame(type: MessageType, value: unknown): Buffer {
  return frame(type, Buffer.from(JSON.stringify(value)));
}

export function parseJson<T>(payload: Buffer): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch (error) {
    throw new ProtocolError(`malformed JSON message: ${(error as Error).message}`);
  }
}

/** A frame whose payload is a list of u32 task ids. */
export function idsFrame(type: MessageType, ids: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(5 + 4 * ids.length);
  out.writeUInt32BE(1 + 4 * ids.length, 0);
  out[4] = type;
  for (let i = 0; i < ids.length; i++) out.writeUInt32BE(ids[i]!, 5 + 4 * i);
  return out;
}

export function readIds(payload: Buffer): number[] {
  if (payload.length % 4 !== 0) throw new ProtocolError('malformed task id list');
  const ids: number[] = new Array(payload.length / 4);
  for (let i = 0; i < ids.length; i++) ids[i] = payload.readUInt32BE(4 * i);
  return ids;
}

// ---------------------------------------------------------------- registration

export interface RegisterMessage {
  managerId: string;
  /** The node's cores and memory in bytes (for monitoring; absent from older managers). */
  cpuCount?: number;
  totalMemory?: number;
  blockId: string;
  hostname: string;
  pid: number;
  workerCount: number;
  /** Tasks the manager wants to hold at first (workers + prefetchCapacity). */
  capacity: number;
  nodeVersion: string;
  parslVersion: string;
  accelerators: string[];
  /**
   * When registering again after a lost link: the tasks it holds (queued, running, or whose
   * results it still keeps). Tasks the interchange sent that are not among them never arrived.
   */
  holding?: number[];
}

export interface RegisteredMessage {
  heartbeatPeriod: number;
  heartbeatThreshold: number;
  /** True: the interchange still knew this manager and keeps waiting for its tasks. False: a fresh start. */
  resumed: boolean;
  /** Result frames received from this manager so far (resumed only): it sends the later ones again. */
  resultFrames: number;
}

// ---------------------------------------------------------------- tasks

/** What a worker needs about an app, sent once per manager and once per worker. */
export interface CodeEntry {
  index: number;
  appName: string;
  kind: 'function' | 'bash';
  spec: CodeSpec;
}

/** The parts of a task that are usually absent, in one optional object. */
export interface TaskExtras {
  stdout?: StdStreamSpec;
  stderr?: StdStreamSpec;
  outputs?: string[];
  hasFiles?: boolean;
  stageIn?: Transfer[];
  stageOut?: Transfer[];
}

/** A task as managers and workers see it. `walltime` in seconds, -1 for none. */
export interface WireTaskEntry {
  taskId: number;
  tryId: number;
  codeIndex: number;
  walltime: number;
  args: unknown[];
  extras: TaskExtras | 0;
}

const TASK_FIELDS = 6;

/**
 * A task batch: `v8.serialize([codes | 0, flat task fields…])`. Throws (from v8) when a
 * value cannot be serialized; callers then find the culprit task by task.
 */
export function encodeTaskBatch(codes: CodeEntry[] | undefined, tasks: WireTaskEntry[]): Buffer {
  const flat: unknown[] = new Array(tasks.length * TASK_FIELDS);
  let i = 0;
  for (const task of tasks) {
    flat[i++] = task.taskId; flat[i++] = task.tryId; flat[i++] = task.codeIndex;
    flat[i++] = task.walltime; flat[i++] = task.args; flat[i++] = task.extras;
  }
  return serialize([codes && codes.length > 0 ? codes : 0, flat]);
}

export function decodeTaskBatch(payload: Buffer): { codes: CodeEntry[]; tasks: WireTaskEntry[] } {
  let decoded: unknown;
  try {
    decoded = deserialize(payload);
  } catch (error) {
    throw new ProtocolError(`malformed task batch: ${(error as Error).message}`);
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !Array.isArray(decoded[1]) || decoded[1].length % TASK_FIELDS !== 0) {
    throw new ProtocolError('malformed task batch');
  }
  const codes = decoded[0] === 0 ? [] : decoded[0] as CodeEntry[];
  const flat = decoded[1] as unknown[];
  const tasks: WireTaskEntry[] = new Array(flat.length / TASK_FIELDS);
  for (let i = 0, t = 0; i < flat.length; i += TASK_FIELDS, t++) {
    tasks[t] = {
      taskId: flat[i] as number, tryId: flat[i + 1] as number, codeIndex: flat[i + 2] as number,
      walltime: flat[i + 3] as number, args: flat[i + 4] as unknown[], extras: flat[i + 5] as TaskExtras | 0,
    };
  }
  return { codes, tasks };
}

// ---------------------------------------------------------------- results

/**
 * A result batch: `[u32 count][f64 busyMs][u32 taskId × count][v8 body]`, body =
 * `v8.serialize([tryId, ok (1|0), value-or-ErrorRecord, …])`. The binary header lets a
 * manager account for finished tasks and forward the frame unchanged.
 */
export interface ResultBatchHeader {
  count: number;
  busyMs: number;
  taskIds: number[];
  bodyOffset: number;
}

export function encodeResultBatch(taskIds: number[], busyMs: number, body: Buffer): Buffer {
  const headerLength = 12 + 4 * taskIds.length;
  const out = Buffer.allocUnsafe(5 + headerLength + body.length);
  out.writeUInt32BE(1 + headerLength + body.length, 0);
  out[4] = MessageType.Results;
  out.writeUInt32BE(taskIds.length, 5);
  out.writeDoubleBE(busyMs, 9);
  let offset = 17;
  for (const id of taskIds) { out.writeUInt32BE(id, offset); offset += 4; }
  out.set(body, offset);
  return out;
}

export function readResultHeader(payload: Buffer): ResultBatchHeader {
  if (payload.length < 12) throw new ProtocolError('result batch too short');
  const count = payload.readUInt32BE(0);
  const bodyOffset = 12 + 4 * count;
  if (payload.length < bodyOffset) throw new ProtocolError('result batch header longer than its frame');
  const busyMs = payload.readDoubleBE(4);
  const taskIds: number[] = new Array(count);
  for (let i = 0, offset = 12; i < count; i++, offset += 4) taskIds[i] = payload.readUInt32BE(offset);
  return { count, busyMs, taskIds, bodyOffset };
}

/** The flat `[tryId, ok, value, …]` body of a result batch. */
export function decodeResultBody(payload: Buffer, header: ResultBatchHeader): unknown[] {
  let body: unknown;
  try {
    body = deserialize(payload.subarray(header.bodyOffset));
  } catch (error) {
    throw new ProtocolError(`malformed result batch: ${(error as Error).message}`);
  }
  if (!Array.isArray(body) || body.length !== header.count * 3) throw new ProtocolError('malformed result batch body');
  return body;
}

// ---------------------------------------------------------------- monitoring

/** What a worker reports for monitoring: its rank, `[taskId, tryId, startedAt ms, …]`, flat resource samples. */
export interface MonitoringReport {
  rank: number;
  started: number[];
  samples: number[];
}

/**
 * A Monitoring frame, binary (numbers only, cheaper than v8): `[u32 rank][u32 started
 * count][u32 sample numbers]`, then per start `[u32 taskId][u32 tryId][f64 time]`, then the
 * samples as f64.
 */
export function encodeMonitoring(report: MonitoringReport): Buffer {
  const starts = report.started.length / 3;
  const payloadLength = 12 + 16 * starts + 8 * report.samples.length;
  const out = Buffer.allocUnsafe(5 + payloadLength);
  out.writeUInt32BE(payloadLength + 1, 0);
  out[4] = MessageType.Monitoring;
  out.writeUInt32BE(report.rank, 5);
  out.writeUInt32BE(starts, 9);
  out.writeUInt32BE(report.samples.length, 13);
  let offset = 17;
  const started = report.started;
  for (let i = 0; i < started.length; i += 3, offset += 16) {
    out.writeUInt32BE(started[i]!, offset);
    out.writeUInt32BE(started[i + 1]!, offset + 4);
    out.writeDoubleBE(started[i + 2]!, offset + 8);
  }
  for (const value of report.samples) { out.writeDoubleBE(value, offset); offset += 8; }
  return out;
}

export function decodeMonitoring(payload: Buffer): MonitoringReport {
  if (payload.length < 12) throw new ProtocolError('monitoring report too short');
  const rank = payload.readUInt32BE(0);
  const starts = payload.readUInt32BE(4);
  const sampleCount = payload.readUInt32BE(8);
  if (payload.length !== 12 + 16 * starts + 8 * sampleCount) throw new ProtocolError('malformed monitoring report');
  const started: number[] = new Array(3 * starts);
  let offset = 12;
  for (let i = 0; i < started.length; i += 3, offset += 16) {
    started[i] = payload.readUInt32BE(offset);
    started[i + 1] = payload.readUInt32BE(offset + 4);
    started[i + 2] = payload.readDoubleBE(offset + 8);
  }
  const samples: number[] = new Array(sampleCount);
  for (let i = 0; i < sampleCount; i++, offset += 8) samples[i] = payload.readDoubleBE(offset);
  return { rank, started, samples };
}

export function serializeValue(value: unknown): Buffer {
  return serialize(value);
}
