/** Messages between ThreadPoolExecutor and its worker threads. */
import type { CodeSpec } from '../../serialize/code.js';
import type { WireTask } from '../runner.js';

/** Driver → worker: code not sent to this worker before, then tasks. */
export interface TaskBatchMessage {
  codes?: CodeSpec[];
  tasks: WireTask[];
  /**
   * Monitoring is on: from now on, report when each task started, at once in this shared
   * memory (StartCell) and with the results (`startedAt`).
   */
  startCell?: SharedArrayBuffer;
}

/**
 * Worker → driver: results flattened as [taskId, tryId, ok (1|0), value-or-ErrorRecord, …],
 * plus how long the worker spent on them (it tunes how many tasks each worker holds).
 */
export interface ResultBatchMessage {
  results: unknown[];
  count: number;
  busyMs: number;
  /** When monitoring: the start time (ms since the epoch) of each result's task, in order. */
  startedAt?: number[];
}

export interface ReadyMessage {
  ready: true;
}
