/**
 * A ThreadPoolExecutor worker thread: runs the tasks it is given one at a time, in order,
 * and returns results in batches (at once when a task was slow, else when its queue empties).
 */
import { parentPort } from 'node:worker_threads';
import { SerializationError } from '../../errors.js';
import { toErrorRecord } from '../../serialize/errors.js';
import type { CodeSpec } from '../../serialize/code.js';
import { runTask, type WireResult, type WireTask } from '../runner.js';
import type { ResultBatchMessage, TaskBatchMessage } from './protocol.js';

const port = parentPort!;
const codes = new Map<string, CodeSpec>();
const queue: WireTask[] = [];
let head = 0;
let running = false;
let outbox: unknown[] = [];
let outCount = 0;
let busyMs = 0;
let lastFlush = performance.now();
const FLUSH_AFTER_MS = 1;

function sendResults(): void {
  if (outCount === 0) return;
  const message: ResultBatchMessage = { results: outbox, count: outCount, busyMs };
  try {
    port.postMessage(message);
  } catch {
    // One value could not be cloned: replace each such value with a SerializationError.
    for (let i = 0; i < outbox.length; i += 4) {
      if (outbox[i + 2] !== 1) continue;
      try { structuredClone(outbox[i + 3]); } catch (error) {
        const task = { taskId: outbox[i] as number };
        outbox[i + 2] = 0;
        outbox[i + 3] = toErrorRecord(new SerializationError(`the result of task ${task.taskId}`, (error as Error).message));
      }
    }
    port.postMessage(message);
  }
  outbox = [];
  outCount = 0;
  busyMs = 0;
  lastFlush = performance.now();
}

function record(result: WireResult): void {
  outbox.push(result.taskId, result.tryId, result.ok ? 1 : 0, result.ok ? result.value : result.error);
  outCount++;
}

async function drain(): Promise<void> {
  running = true;
  while (head < queue.length) {
    const task = queue[head]!;
    queue[head++] = undefined as unknown as WireTask;
    const started = performance.now();
    let result = runTask(task, codes.get(task.codeId)!);
    if (result instanceof Promise) result = await result;
    record(result);
    const now = performance.now();
    busyMs += now - started;
    if (now - lastFlush >= FLUSH_AFTER_MS) sendResults();
  }
  queue.length = 0;
  head = 0;
  running = false;
  sendResults();
}

port.on('message', (message: TaskBatchMessage) => {
  if (message.codes) for (const spec of message.codes) codes.set(spec.id, spec);
  for (const task of message.tasks) queue.push(task);
  if (!running) void drain();
});

port.postMessage({ ready: true });
