/**
 * The monitoring writer thread: owns the database connection, writes the recorder's
 * batches in order, each in one transaction, so no database work happens on the driver's
 * thread. When the database cannot be written it keeps the batches (up to a bound), retries
 * with backoff, and tells the recorder (which logs once); it never gives up on its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from './open-store.js';
import { rowCount, type MonitoringStore, type RowBatch } from './store.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

const port = parentPort!;
const store: MonitoringStore = openStore((workerData as { dbUrl: string }).dbUrl);
const queue: { id: number; batch: RowBatch; rows: number; failures: number }[] = [];
let queuedRows = 0;
let opened = false;
let working = false;
let closing = false;
let backoffMs = 0;
let timer: NodeJS.Timeout | undefined;

/** Rows kept while the database is unwritable; beyond this the oldest batches are dropped. */
const MAX_QUEUED_ROWS = 2_000_000;
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

async function drain(): Promise<void> {
  if (working) return;
  working = true;
  try {
    while (queue.length > 0) {
      const head = queue[0]!;
      try {
        if (!opened) { await store.open(); opened = true; }
        await store.write(head.batch);
      } catch (error) {
        head.failures++;
        const transient = isTransient(error);
        if (!transient && head.failures >= MAX_TRIES_OF_REFUSED_BATCH) {
          queue.shift();
          queuedRows -= head.rows;
          reply({ type: 'dropped', rows: head.rows, reason: describe(error) });
          continue;
        }
        if (transient) opened = false;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs === 0 ? FIRST_BACKOFF_MS : backoffMs * 2);
        reply({ type: 'error', message: describe(error), retryInMs: backoffMs });
        timer = setTimeout(() => { timer = undefined; void drain(); }, backoffMs);
        return;
      }
      queue.shift();
      queuedRows -= head.rows;
      if (backoffMs !== 0) { backoffMs = 0; reply({ type: 'recovered' }); }
      reply({ type: 'written', id: head.id, rows: head.rows });
    }
    if (closing) await finish();
  } finally {
    working = false;
  }
}

async function finish(): Promise<void> {
  await store.close();
  reply({ type: 'closed' });
}

port.on('message', (message: WriterRequest) => {
  if (message.type === 'batch') {
    const rows = rowCount(message.batch);
    queue.push({ id: message.id, batch: message.batch, rows, failures: 0 });
    queuedRows += rows;
    while (queuedRows > MAX_QUEUED_ROWS && queue.length > 1) {
      const dropped = queue.splice(1, 1)[0]!; // keep the head: it may be being written
      queuedRows -= dropped.rows;
      reply({ type: 'dropped', rows: dropped.rows, reason: `more than ${MAX_QUEUED_ROWS} rows waiting for an unwritable database` });
    }
    if (timer === undefined) void drain();
  } else if (message.type === 'close') {
    closing = true;
    if (queue.length === 0 && !working) void finish();
  }
});
