/**
 * A ThreadPoolExecutor worker thread: runs the tasks it is given one at a time, in order,
 * and returns results in batches (see SerialTaskLoop).
 */
import { parentPort } from 'node:worker_threads';
import { SerializationError } from '../../errors.js';
import { toErrorRecord } from '../../serialize/errors.js';
import type { CodeSpec } from '../../serialize/code.js';
import { runTask, type WireResult, type WireTask } from '../runner.js';
import { serialTaskLoop } from '../serial-task-loop.js';
import type { ResultBatchMessage, TaskBatchMessage } from './protocol.js';
import { StartCell } from './start-cell.js';

const port = parentPort!;
const codes = new Map<string, CodeSpec>();
let outbox: unknown[] = [];
let outCount = 0;
/** Monitoring: start times of the tasks in `outbox`, when the executor asked for them. */
let starts: number[] | undefined;
/** Monitoring: the task running now, read by the executor while it runs. */
let startCell: StartCell | undefined;

function record(result: WireResult): void {
  outbox.push(result.taskId, result.tryId, result.ok ? 1 : 0, result.ok ? result.value : result.error);
  outCount++;
}

function flush(busyMs: number): void {
  const message: ResultBatchMessage = { results: outbox, count: outCount, busyMs };
  if (starts !== undefined) { message.startedAt = starts; starts = []; }
  try {
    port.postMessage(message);
  } catch {
    // A value could not be cloned: replace each such value with a SerializationError.
    for (let i = 0; i < outbox.length; i += 4) {
      if (outbox[i + 2] !== 1) continue;
      try { structuredClone(outbox[i + 3]); } catch (error) {
        outbox[i + 2] = 0;
        outbox[i + 3] = toErrorRecord(new SerializationError(`the result of task ${outbox[i] as number}`, (error as Error).message));
      }
    }
    port.postMessage(message);
  }
  outbox = [];
  outCount = 0;
}

const enqueue = serialTaskLoop<WireTask>((task) => {
  if (starts !== undefined) {
    const now = Date.now();
    starts.push(now);
    startCell!.write(task.taskId, task.tryId, now);
  }
  return runTask(task, codes.get(task.codeId)!);
}, { record, flush });

port.on('message', (message: TaskBatchMessage) => {
  if (message.startCell !== undefined) {
    starts ??= [];
    startCell = new StartCell(message.startCell);
  }
  if (message.codes) for (const spec of message.codes) codes.set(spec.id, spec);
  enqueue(message.tasks);
});

port.postMessage({ ready: true });
