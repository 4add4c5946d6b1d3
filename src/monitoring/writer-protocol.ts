/** Messages between the recorder (driver thread) and the writer thread. */
import type { EventBatch } from './event-stream.js';
import type { WorkflowInfo } from './row-builder.js';

/** What the writer thread starts with (its workerData). */
export interface WriterStart {
  dbUrl: string;
  info: WorkflowInfo;
}

export type WriterRequest =
  | { type: 'events'; batch: EventBatch }
  /** The run ended at `time`: write everything, then close the connection and answer 'closed'. */
  | { type: 'close'; time: number };

export type WriterReply =
  /** The thread has loaded its code and takes events (the database opens at the first write). */
  | { type: 'started' }
  | { type: 'written'; rows: number }
  /** A write failed; it is retried after `retryInMs`. */
  | { type: 'error'; message: string; retryInMs: number }
  /** Writes succeed again after errors. */
  | { type: 'recovered' }
  | { type: 'dropped'; rows: number; reason: string }
  | { type: 'closed' };
