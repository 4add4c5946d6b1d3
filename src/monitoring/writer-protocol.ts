/** Messages between the recorder (driver thread) and the writer thread. */
import type { RowBatch } from './store.js';

export type WriterRequest =
  | { type: 'batch'; id: number; batch: RowBatch }
  /** Write what is queued, then close the connection and answer 'closed'. */
  | { type: 'close' };

export type WriterReply =
  | { type: 'written'; id: number; rows: number }
  /** A write failed; it is retried after `retryInMs`. */
  | { type: 'error'; message: string; retryInMs: number }
  /** Writes succeed again after errors. */
  | { type: 'recovered' }
  | { type: 'dropped'; rows: number; reason: string }
  | { type: 'closed' };
