/** Messages between the recorder (in the driver) and the writer process, over its IPC channel. */
import type { EventBatch } from './event-stream.js';
import type { WorkflowInfo } from './row-builder.js';

/** What the writer process starts with (the recorder's first message). */
export interface WriterStart {
  dbUrl: string;
  info: WorkflowInfo;
}

export type WriterRequest =
  | { type: 'start'; start: WriterStart }
  | { type: 'events'; batch: EventBatch }
  /** The run ended at `time`: write everything, then close the connection and answer 'closed'. */
  | { type: 'close'; time: number };

export type WriterReply =
  /** The process has loaded its code and takes events (the database opens at the first write). */
  | { type: 'started' }
  | { type: 'written'; rows: number }
  /** A write failed; it is retried after `retryInMs`. */
  | { type: 'error'; message: string; retryInMs: number }
  /** Writes succeed again after errors. */
  | { type: 'recovered' }
  | { type: 'dropped'; rows: number; reason: string }
  | { type: 'closed' };
