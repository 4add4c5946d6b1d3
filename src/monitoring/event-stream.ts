/**
 * How the recorder hands events to the writer process cheaply: every frequent event is five
 * numbers appended to a Float64Array that is sent as raw bytes at each flush and reused;
 * strings travel once each, as numbered entries of a string table; rare events with
 * structured data (files, errors, nodes, blocks, samples) go in a side list, referenced
 * from the number stream so that order is kept.
 */
import type { NodeReport } from './events.js';
import type { TaskStatusName } from './schema.js';

/** Numbers per event: [kind, taskId, tryId, time ms, argument]. */
export const EVENT_WIDTH = 5;

export const enum EventKind {
  /** argument: string id of the app name; tryId: 1 if the app caches results. */
  Submitted = 1,
  /** argument: state code (STATE_CODES). */
  State = 2,
  /** argument: string id of the executor label. */
  Launched = 3,
  /** argument: placement id (a side event that defined it). */
  Running = 4,
  /** argument: -1, or the side index of the error text. */
  Returned = 5,
  /** argument: the index of a side event. */
  Side = 6,
}

export const STATE_NAMES: readonly TaskStatusName[] = [
  'unsched', 'pending', 'launched', 'running', 'running_ended', 'exec_done', 'failed', 'dep_fail', 'memo_done',
  'joining', 'fail_retryable', 'cancelled',
];
export const STATE_CODES: Readonly<Record<string, number>> = Object.fromEntries(STATE_NAMES.map((name, code) => [name, code]));

/** Rare events, with their data as is. */
export type SideEvent =
  | { kind: 'files'; taskId: number; inputs?: string; outputs?: string; stdout?: string; stderr?: string }
  | { kind: 'hashsum'; taskId: number; hashsum: string }
  | { kind: 'depends'; taskId: number; depends: number[] }
  | { kind: 'failCost'; taskId: number; failCount: number; failCost: number }
  | { kind: 'joins'; taskId: number; tryId: number; joins: number[] }
  | { kind: 'error'; text: string }
  | { kind: 'placement'; id: number; hostname: string | null; blockId: string | null; managerId: string | null; workerId: string | null }
  | { kind: 'samples'; flat: readonly number[]; hostname: string }
  | { kind: 'block'; executorLabel: string; blockId: string; jobId: string | null; state: string; message: string | null; time: number }
  | { kind: 'node'; report: NodeReport; time: number };

/** One flush's worth of events. */
export interface EventBatch {
  /** EVENT_WIDTH numbers per event. */
  events: Float64Array;
  /** Strings first used in this batch; ids continue from the previous batch's. */
  strings: string[];
  side: SideEvent[];
}

/** A growable list of events, emptied by `take()`. */
export class EventBuffer {
  #events = new Float64Array(4096 * EVENT_WIDTH);
  #length = 0;
  #strings = new Map<string, number>();
  #newStrings: string[] = [];
  #side: SideEvent[] = [];

  get count(): number {
    return this.#length / EVENT_WIDTH;
  }

  push(kind: EventKind, taskId: number, tryId: number, time: number, argument: number): void {
    let events = this.#events;
    if (this.#length + EVENT_WIDTH > events.length) {
      const bigger = new Float64Array(events.length * 2);
      bigger.set(events);
      this.#events = events = bigger;
    }
    const at = this.#length;
    events[at] = kind; events[at + 1] = taskId; events[at + 2] = tryId; events[at + 3] = time; events[at + 4] = argument;
    this.#length = at + EVENT_WIDTH;
  }

  /** The id of a string, sending it along the first time. */
  stringId(text: string): number {
    let id = this.#strings.get(text);
    if (id === undefined) {
      id = this.#strings.size;
      this.#strings.set(text, id);
      this.#newStrings.push(text);
    }
    return id;
  }

  /** Adds a rare event in its place in the stream. */
  side(event: SideEvent, taskId = -1, time = 0): void {
    this.push(EventKind.Side, taskId, 0, time, this.#side.length);
    this.#side.push(event);
  }

  /** Index the next side event will have (for an event that refers to it). */
  sideIndex(event: SideEvent): number {
    this.#side.push(event);
    return this.#side.length - 1;
  }

  /**
   * Everything since the last take. `events` views this buffer's own memory (no copy): it
   * is valid until the next push, so send it (sending serializes at once) or copy it first.
   */
  take(): EventBatch | undefined {
    if (this.#length === 0 && this.#newStrings.length === 0 && this.#side.length === 0) return undefined;
    const batch: EventBatch = { events: this.#events.subarray(0, this.#length), strings: this.#newStrings, side: this.#side };
    this.#length = 0;
    this.#newStrings = [];
    this.#side = [];
    return batch;
  }
}
