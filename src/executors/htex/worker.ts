/**
 * A HighThroughputExecutor worker process: runs the tasks its manager sends, one at a
 * time and in order, and returns results in batches (at once after a slow task, else when
 * its queue empties). The manager may take back tasks that have not started (to give them
 * to an idle worker). It talks to its manager over fd 3 and imports nothing from the
 * driver's layers. It exits when the manager goes away, even in the middle of a task.
 */
import { Socket } from 'node:net';
import { serialize } from 'node:v8';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { SerializationError } from '../../errors.js';
import { toErrorRecord } from '../../serialize/errors.js';
import type { CodeSpec } from '../../serialize/code.js';
import { runTask, type WireResult, type WireTask } from '../runner.js';
import { serialTaskLoop } from '../serial-task-loop.js';
import { FrameLink } from './link.js';
import {
  DEFAULT_MAX_FRAME_BYTES, MAX_FRAME_ENV, MONITORING_ENV, MessageType, decodeTaskBatch, encodeMonitoring, encodeResultBatch, frame, idsFrame, readIds,
  type CodeEntry, type WireTaskEntry,
} from './protocol.js';
import { ownModuleUrl, threadEntryFor } from '../../util/own-modules.js';

const maxFrameBytes = Number(process.env[MAX_FRAME_ENV]) || DEFAULT_MAX_FRAME_BYTES;

const codes = new Map<number, { spec: CodeSpec; appName: string; kind: 'function' | 'bash' }>();
let outIds: number[] = [];
let outBody: unknown[] = [];
/** Ids of the tasks received, in the order they run; those from `started` on have not started. */
let received: number[] = [];
let started = 0;
/** Tasks given back to the manager: skipped when the loop reaches them. */
const givenBack = new Set<number>();
/** What runEntry answers for a task given back; record() drops it. */
const GIVEN_BACK: WireResult = { taskId: -1, tryId: -1, ok: true, value: undefined };
const enqueue = serialTaskLoop<WireTaskEntry>(runEntry, { record, flush: sendResults });

// Monitoring (only when the manager says so): start times of tasks, and resource samples
// taken by a sampler thread while a try runs; both go to the manager before the results
// (the manager may be told to stop as soon as the last result is in: what comes after is lost).
const monitoringInterval = process.env[MONITORING_ENV] === undefined ? undefined : Number(process.env[MONITORING_ENV]);
const rank = Number(process.env['PARSL_WORKER_RANK'] ?? 0);
/** `[taskId, tryId, startedAt, …]` not yet sent; undefined when monitoring is off. */
let startedOut: number[] | undefined = monitoringInterval === undefined ? undefined : [];
let samplesOut: number[] = [];
let monitoringScheduled = false;
/** The try running now, read by the sampler thread: [taskId (-1: none), tryId]. */
const running = new Int32Array(new SharedArrayBuffer(8));
running[0] = -1;
/** Resolves once the sampler thread runs (at most SAMPLER_START_WAIT_MS): tries that start sooner would get no samples. */
let samplerStarted: Promise<void> = Promise.resolve();
const SAMPLER_START_WAIT_MS = 3000;
/**
 * Where the sampler thread posts samples. Samples taken while a synchronous task holds this
 * thread wait in it; sendMonitoring takes them synchronously, so they precede the result.
 */
let samples: MessagePort | undefined;
if (monitoringInterval !== undefined && monitoringInterval > 0) {
  const entry = threadEntryFor(ownModuleUrl('../../monitoring/sampler-thread.js', import.meta.url));
  const channel = new MessageChannel();
  samples = channel.port1;
  const sampler = new Worker(entry.script, {
    workerData: { ...entry.workerData, pid: process.pid, intervalMs: monitoringInterval * 1000, running, samples: channel.port2 },
    transferList: [channel.port2], stdout: false, stderr: false,
  });
  sampler.unref();
  samplerStarted = new Promise((resolve) => {
    sampler.once('message', () => resolve());
    sampler.once('error', () => resolve());
    setTimeout(resolve, SAMPLER_START_WAIT_MS).unref();
  });
  // Samples of a try that awaits (this thread is free): sent as they come.
  samples.on('message', (sample: number[]) => {
    for (const value of sample) samplesOut.push(value);
    if (!monitoringScheduled) { monitoringScheduled = true; setImmediate(sendMonitoring); }
  });
  samples.unref();
  sampler.on('error', (error) => process.stderr.write(`parsl-ts worker ${rank}: resource sampler failed: ${error.message}\n`));
}

function sendMonitoring(): void {
  monitoringScheduled = false;
  if (samples !== undefined) {
    for (let message = receiveMessageOnPort(samples); message !== undefined; message = receiveMessageOnPort(samples)) {
      for (const value of message.message as number[]) samplesOut.push(value);
    }
  }
  if (startedOut === undefined || (startedOut.length === 0 && samplesOut.length === 0)) return;
  link.send(encodeMonitoring({ rank, started: startedOut, samples: samplesOut }));
  startedOut = [];
  samplesOut = [];
}

const link = new FrameLink(new Socket({ fd: 3, readable: true, writable: true }), maxFrameBytes, onFrame, (error) => {
  process.stderr.write(`parsl-ts worker ${process.env['PARSL_WORKER_RANK']}: link to manager failed: ${error.message}\n`);
  process.exit(1);
});
link.onClose(() => process.exit(0));

// A task stuck in synchronous code cannot notice that its manager died: a watchdog thread
// ends this process when it is orphaned, so no worker outlives its manager.
const watchdog = new Worker(`
  const { workerData } = require('node:worker_threads');
  setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(workerData.pid, 'SIGKILL'); }, 250);
`, { eval: true, workerData: { ppid: process.ppid, pid: process.pid }, stdout: false, stderr: false });
watchdog.unref();

function onFrame(type: number, payload: Buffer): void {
  if (type === MessageType.Reclaim) {
    const notStarted = new Set(received.slice(started));
    const returned = readIds(payload).filter((taskId) => notStarted.has(taskId) && !givenBack.has(taskId));
    for (const taskId of returned) givenBack.add(taskId);
    link.send(idsFrame(MessageType.Returned, returned));
    return;
  }
  if (type !== MessageType.Tasks) return;
  const batch = decodeTaskBatch(payload);
  for (const code of batch.codes as CodeEntry[]) codes.set(code.index, code);
  if (started === received.length) {
    received = [];
    started = 0;
  } else if (started > 1024 && started * 2 > received.length) {
    received = received.slice(started);
    started = 0;
  }
  for (const task of batch.tasks) received.push(task.taskId);
  enqueue(batch.tasks);
}

function toWireTask(entry: WireTaskEntry): WireTask {
  const code = codes.get(entry.codeIndex);
  const task: WireTask = {
    taskId: entry.taskId, tryId: entry.tryId, codeId: String(entry.codeIndex),
    appName: code?.appName ?? 'unknown', kind: code?.kind ?? 'function', args: entry.args,
  };
  if (entry.walltime >= 0) task.walltime = entry.walltime;
  if (entry.extras !== 0) Object.assign(task, entry.extras);
  return task;
}

function record(result: WireResult): void {
  if (result === GIVEN_BACK) return;
  if (startedOut !== undefined) Atomics.store(running, 0, -1);
  outIds.push(result.taskId);
  outBody.push(result.tryId, result.ok ? 1 : 0, result.ok ? result.value : result.error);
}

function encodeBody(): Buffer {
  try {
    return serialize(outBody);
  } catch {
    // Some value cannot be serialized: replace each such value by a SerializationError.
    for (let i = 0; i < outBody.length; i += 3) {
      if (outBody[i + 1] !== 1) continue;
      try { serialize(outBody[i + 2]); } catch (error) {
        outBody[i + 1] = 0;
        outBody[i + 2] = toErrorRecord(new SerializationError(`the result of task ${outIds[i / 3]}`, (error as Error).message));
      }
    }
    return serialize(outBody);
  }
}

function sendResults(busyMs: number): void {
  if (outIds.length === 0) return;
  if (startedOut !== undefined) sendMonitoring();
  let body = encodeBody();
  if (body.length + 64 + 4 * outIds.length > maxFrameBytes) {
    // Too big for one frame: send one result per frame, failing any that alone is too big.
    const ids = outIds, flat = outBody;
    for (let i = 0; i < ids.length; i++) {
      let one = serialize(flat.slice(3 * i, 3 * i + 3));
      if (one.length + 64 > maxFrameBytes) {
        one = serialize([flat[3 * i], 0, toErrorRecord(new SerializationError(`the result of task ${ids[i]}`, `its ${one.length} bytes exceed the frame cap of ${maxFrameBytes}`))]);
      }
      link.send(encodeResultBatch([ids[i]!], i === 0 ? busyMs : 0, one));
    }
  } else {
    link.send(encodeResultBatch(outIds, busyMs, body));
  }
  body = undefined as unknown as Buffer;
  outIds = [];
  outBody = [];
}

function runEntry(entry: WireTaskEntry): WireResult | Promise<WireResult> {
  started++;
  if (givenBack.size > 0 && givenBack.delete(entry.taskId)) return GIVEN_BACK;
  if (startedOut !== undefined) {
    startedOut.push(entry.taskId, entry.tryId, Date.now());
    Atomics.store(running, 1, entry.tryId);
    Atomics.store(running, 0, entry.taskId);
  }
  const code = codes.get(entry.codeIndex);
  if (code === undefined) {
    return { taskId: entry.taskId, tryId: entry.tryId, ok: false, error: toErrorRecord(new Error(`worker has no code #${entry.codeIndex}`)) };
  }
  return runTask(toWireTask(entry), code.spec);
}

void samplerStarted.then(() => link.send(frame(MessageType.Ready)));
