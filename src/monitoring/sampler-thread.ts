/**
 * A thread inside an HTEX worker process that samples the process and its children every
 * interval while a try runs. A thread, so that samples are taken even while the task holds
 * the worker's own thread in synchronous code; they reach the worker's thread (and its
 * manager) as soon as that thread is free again. Worker-side: imports only the sampler.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ProcessSampler } from './resource-sampler.js';

/**
 * `running[0]`: the task id running now (-1: none), `running[1]`: its try id. `samples`: where
 * samples go (the worker's thread takes them synchronously before it sends a result).
 */
const { pid, intervalMs, running, samples } = workerData as { pid: number; intervalMs: number; running: Int32Array; samples: MessagePort };
const sampler = new ProcessSampler(pid, true);

parentPort!.postMessage('started');

setInterval(() => {
  const taskId = Atomics.load(running, 0);
  if (taskId < 0) return;
  const sample: number[] = [];
  sampler.sample(taskId, Atomics.load(running, 1), sample);
  samples.postMessage(sample);
}, intervalMs);
