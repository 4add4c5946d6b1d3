/**
 * The monitoring writer process: turns the recorder's events into rows (RowBuilder) and
 * writes them, each write one transaction, so no database work happens in the driver.
 * It is a process of its own, not a thread, so that all of its CPU work runs at the
 * lowest priority — building rows, SQLite or PostgreSQL, and V8's garbage collection,
 * whose helper threads a worker thread would share with the driver at normal priority:
 * it writes with the CPU the workflow leaves and catches up when the workflow idles.
 * It writes at most once a second (WRITE_INTERVAL_MS), so that a task's rows that change
 * within that second are written once, in their latest state, instead of once per state.
 * When the database cannot be written it keeps the rows (changes to a row coalesce; at most
 * 2,000,000 log rows and the rows of 1,000,000 finished tasks wait: see RowBuilder), retries with backoff, and tells the recorder, which
 * logs once. If the driver goes away without closing it (killed, or it exited without
 * `cleanup()`), it writes what it has, leaving the run's end time empty, and exits.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { openStore } from './open-store.js';
import { RowBuilder } from './row-builder.js';
import { rowCount, type MonitoringStore, type RowBatch } from './store.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

/** After the driver went away, how long the last rows may take to write before giving up. */
const ORPHAN_WRITE_LIMIT_MS = 10_000;

lowerPriority();

/**
 * Lowest CPU priority for every thread of this process (V8's helpers included). Linux
 * applies setpriority to one thread id; threads started later inherit the main thread's.
 */
function lowerPriority(): void {
  try {
    for (const threadId of readdirSync('/proc/self/task')) setPriority(Number(threadId), 19);
  } catch {
    try { setPriority(19); } catch { /* not allowed: normal priority */ }
  }
}

if (process.send === undefined) {
  process.stderr.write('parsl-ts monitoring writer: start me through the recorder (no IPC channel)\n');
  process.exit(2);
}
// Ctrl-C reaches the whole process group: the driver decides when this process ends.
process.on('SIGINT', () => {});

function reply(message: WriterReply): void {
  // A failed send means the driver is gone: 'disconnect' follows.
  if (process.connected) process.send!(message, undefined, undefined, () => {});
}

/** Set by the recorder's first message. */
let store: MonitoringStore;
let builder: RowBuilder;
/** A batch taken but not written yet (its write failed): written before anything newer. */
let unwritten: { batch: RowBatch; failures: number } | undefined;
let opened = false;
let working = false;
let closingAt: number | undefined;
/** The driver went away without closing: write what is left, then exit. */
let orphaned = false;
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
  if (unwritten === undefined && closingAt === undefined && !orphaned) {
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
  const due = orphaned || Date.now() >= lastWriteAt + WRITE_INTERVAL_MS;
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
    if ((closingAt !== undefined && finalTaken) || orphaned) {
      closed = true;
      await store.close();
      // Then nothing keeps this process alive: it ends.
      if (process.connected) process.send!({ type: 'closed' } satisfies WriterReply, () => process.disconnect());
    }
  } finally {
    working = false;
  }
  schedule(); // what came in during the write
}

process.on('message', (message: WriterRequest) => {
  switch (message.type) {
    case 'start':
      store = openStore(message.start.dbUrl);
      builder = new RowBuilder(message.start.info);
      reply({ type: 'started' });
      return;
    case 'events':
      builder.apply(message.batch);
      break;
    case 'close':
      closingAt = message.time;
      // Waiting for the write interval, not backing off: write the rest now.
      if (timer !== undefined && backoffMs === 0) { clearTimeout(timer); timer = undefined; }
      break;
  }
  schedule();
});

/** The driver is gone (killed, or exited without cleanup): write what is left and exit. */
function orphan(): void {
  if (closed || orphaned) return;
  orphaned = true;
  if (builder === undefined) process.exit(0);
  setTimeout(() => process.exit(1), ORPHAN_WRITE_LIMIT_MS).unref();
  if (timer !== undefined && backoffMs === 0) { clearTimeout(timer); timer = undefined; }
  schedule();
}
process.on('disconnect', orphan);
process.on('SIGTERM', orphan);
process.on('SIGHUP', orphan);
