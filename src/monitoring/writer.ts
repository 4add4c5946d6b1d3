/**
 * The monitoring writer thread: turns the recorder's events into rows (RowBuilder) and
 * writes them, each write one transaction, so no database work happens on the driver's
 * thread. It runs at the lowest CPU priority: it writes with the CPU the workflow leaves
 * and catches up when the workflow idles. It writes at most once a second (WRITE_INTERVAL_MS),
 * so that a task's rows that change within that second are written once, in their latest
 * state, instead of once per state. When the database cannot be written it keeps
 * the rows (changes to a row coalesce; at most MAX_APPENDED_ROWS log rows wait), retries
 * with backoff, and tells the recorder, which logs once.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from './open-store.js';
import { RowBuilder } from './row-builder.js';
import { rowCount, type MonitoringStore, type RowBatch } from './store.js';
import type { WriterReply, WriterRequest, WriterStart } from './writer-protocol.js';

const port = parentPort!;

// Lowest CPU priority for this thread alone (Linux applies setpriority to one thread id).
try {
  const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (threadId > 0) setPriority(threadId, 19);
} catch { /* not Linux: normal priority */ }

const start = workerData as WriterStart;
const store: MonitoringStore = openStore(start.dbUrl);
const builder = new RowBuilder(start.info);
/** A batch taken but not written yet (its write failed): written before anything newer. */
let unwritten: { batch: RowBatch; failures: number } | undefined;
let opened = false;
let working = false;
let closingAt: number | undefined;
let finalTaken = false;
let closed = false;
let backoffMs = 0;
let timer: NodeJS.Timeout | undefined;
let droppedReported = 0;

/**
 * At most one write per this long (but at once when closing): a task's task, try and node
 * rows that change within it are written once in their latest state, not once per state,
 * which halves the rows written for short tasks. Readers see rows within about a second.
 */
const WRITE_INTERVAL_MS = 1000;
/** When the last write started (ms). */
let lastWriteAt = 0;

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
/** A batch the database refuses for its content (not for being unreachable) is dropped after this many tries. */
const MAX_TRIES_OF_REFUSED_BATCH = 3;

function reply(message: WriterReply): void {
  port.postMessage(message);
}

/** Errors that say the database is unreachable or busy, not that the batch is wrong. */
function isTransient(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOTADB|CORRUPT)/.test(code)) return true;
  if (/^(08|53|57|58)/.test(code) || /^E[A-Z]+$/.test(code)) return true; // PostgreSQL connection, resources, shutdown; Node socket errors
  return !opened || code === '';
}

function describe(error: unknown): string {
  const err = error as { message?: string; code?: string };
  const message = err.message ?? String(error);
  return err.code && !message.startsWith(err.code) ? `${err.code}: ${message}` : message;
}

function schedule(): void {
  if (working || timer !== undefined || closed) return;
  if (unwritten === undefined && closingAt === undefined) {
    if (!builder.pending) return;
    const wait = lastWriteAt + WRITE_INTERVAL_MS - Date.now();
    if (wait > 0) {
      timer = setTimeout(() => { timer = undefined; schedule(); }, wait);
      return;
    }
  }
  void drain();
}

/** The next batch to write, if any. */
function next(): { batch: RowBatch; failures: number } | undefined {
  if (unwritten !== undefined) return unwritten;
  if (closingAt !== undefined && !finalTaken) {
    finalTaken = true;
    return { batch: builder.take(closingAt), failures: 0 };
  }
  const due = closingAt !== undefined || Date.now() >= lastWriteAt + WRITE_INTERVAL_MS;
  return due && builder.pending ? { batch: builder.take(), failures: 0 } : undefined;
}

async function drain(): Promise<void> {
  working = true;
  try {
    for (let job = next(); job !== undefined; job = next()) {
      unwritten = job;
      lastWriteAt = Date.now();
      try {
        if (!opened) { await store.open(); opened = true; }
        await store.write(job.batch);
      } catch (error) {
        job.failures++;
        const transient = isTransient(error);
        if (!transient && job.failures >= MAX_TRIES_OF_REFUSED_BATCH) {
          unwritten = undefined;
          reply({ type: 'dropped', rows: rowCount(job.batch), reason: describe(error) });
          continue;
        }
        if (transient) opened = false;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs === 0 ? FIRST_BACKOFF_MS : backoffMs * 2);
        reply({ type: 'error', message: describe(error), retryInMs: backoffMs });
        timer = setTimeout(() => { timer = undefined; schedule(); }, backoffMs);
        return;
      }
      unwritten = undefined;
      if (backoffMs !== 0) { backoffMs = 0; reply({ type: 'recovered' }); }
      reply({ type: 'written', rows: rowCount(job.batch) });
      if (builder.dropped > droppedReported) {
        reply({ type: 'dropped', rows: builder.dropped - droppedReported, reason: 'too many rows waited for the database' });
        droppedReported = builder.dropped;
      }
    }
    if (closingAt !== undefined && finalTaken) {
      closed = true;
      await store.close();
      reply({ type: 'closed' });
    }
  } finally {
    working = false;
  }
  schedule(); // what came in during the write
}

reply({ type: 'started' });

port.on('message', (message: WriterRequest) => {
  if (message.type === 'events') builder.apply(message.batch);
  else {
    closingAt = message.time;
    // Waiting for the write interval, not backing off: write the rest now.
    if (timer !== undefined && backoffMs === 0) { clearTimeout(timer); timer = undefined; }
  }
  schedule();
});
