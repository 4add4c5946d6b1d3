/**
 * The manager's handle on one worker process: starting it with its environment (rank,
 * pool id, accelerator), the tasks it holds in the order it runs them, and how many it
 * should hold (a few for fast tasks, one for slow ones, so slow tasks spread evenly).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { FrameLink } from './link.js';
import { SECRET_ENV } from './security.js';
import { MAX_FRAME_ENV, MONITORING_ENV, type FrameHandler, type WireTaskEntry } from './protocol.js';
import { ownModuleUrl, processArgsFor } from '../../util/own-modules.js';

const WORKER_ARGS = processArgsFor(ownModuleUrl('./worker.js', import.meta.url));
/** How long the tasks queued at a worker should last. */
const TARGET_QUEUE_MS = 4;
const MAX_PER_WORKER = 256;

/** Environment variables that pin a process to one accelerator (CUDA, ROCm, oneAPI). */
export const ACCELERATOR_ENV = ['CUDA_VISIBLE_DEVICES', 'ROCR_VISIBLE_DEVICES', 'ZE_AFFINITY_MASK'] as const;

export interface WorkerEnvironment {
  rank: number;
  count: number;
  poolId: string;
  blockId: string;
  accelerator: string | undefined;
  /** The frame cap, so that a worker fails a too-big result instead of sending it. */
  maxFrameBytes?: number;
  /** Monitoring on: seconds between resource samples (0: only report when tasks start). */
  monitoringInterval?: number;
}

export function workerEnv(spec: WorkerEnvironment, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    PARSL_WORKER_RANK: String(spec.rank),
    PARSL_WORKER_COUNT: String(spec.count),
    PARSL_WORKER_POOL_ID: spec.poolId,
    PARSL_WORKER_BLOCK_ID: spec.blockId,
  };
  delete env[SECRET_ENV]; // workers talk only to their manager: they never need the secret
  if (spec.maxFrameBytes !== undefined) env[MAX_FRAME_ENV] = String(spec.maxFrameBytes);
  if (spec.monitoringInterval !== undefined) env[MONITORING_ENV] = String(spec.monitoringInterval);
  if (spec.accelerator !== undefined) for (const name of ACCELERATOR_ENV) env[name] = spec.accelerator;
  return env;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly link: FrameLink;
  /** Tasks sent, in the order the worker runs them: the first one is running. */
  readonly inFlight: WireTaskEntry[] = [];
  readonly knownCodes = new Set<number>();
  ready = false;
  exited = false;
  /** Set when the manager killed it for overrunning a walltime. */
  timedOut = false;
  walltimeTimer: NodeJS.Timeout | undefined;
  /** Asked to give back its queued tasks, for an idle worker here or for the interchange; not asked again until it answers. */
  reclaiming: 'here' | 'interchange' | undefined;
  /** Average milliseconds per task (EWMA); 0 until measured. */
  avgTaskMs = 0;
  readonly startedAt = Date.now();

  constructor(readonly rank: number, env: NodeJS.ProcessEnv, maxFrameBytes: number, onFrame: FrameHandler, onLinkError: (error: Error) => void) {
    this.child = spawn(process.execPath, WORKER_ARGS, { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], env });
    this.link = new FrameLink(this.child.stdio[3] as Socket, maxFrameBytes, onFrame, onLinkError);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** When the worker last finished a task, or became busy (ms). */
  lastProgress = 0;

  /**
   * Tasks this worker should hold at once. A task running for longer than the average
   * counts as the new average: after many no-ops, a slow task stops the worker being fed.
   */
  capacity(now = Date.now()): number {
    if (this.walltimeTimer !== undefined) return 0; // a walltime task runs alone
    let perTask = this.avgTaskMs;
    if (this.inFlight.length > 0) perTask = Math.max(perTask, now - this.lastProgress);
    if (perTask <= 0) return 1;
    return Math.max(1, Math.min(MAX_PER_WORKER, 2 ** Math.floor(Math.log2(TARGET_QUEUE_MS / perTask))));
  }

  /** Tasks were handed over. */
  sent(tasks: WireTaskEntry[], now = Date.now()): void {
    if (this.inFlight.length === 0) this.lastProgress = now;
    for (const task of tasks) this.inFlight.push(task);
  }

  recordTiming(busyMs: number, count: number, now = Date.now()): void {
    this.lastProgress = now;
    if (count === 0) return;
    const perTask = busyMs / count;
    this.avgTaskMs = this.avgTaskMs === 0 ? perTask : this.avgTaskMs * 0.7 + perTask * 0.3;
  }

  /** Removes a finished task; returns it, or undefined if this worker did not hold it. */
  finish(taskId: number): WireTaskEntry | undefined {
    const first = this.inFlight[0];
    if (first !== undefined && first.taskId === taskId) return this.inFlight.shift();
    const index = this.inFlight.findIndex((task) => task.taskId === taskId);
    return index < 0 ? undefined : this.inFlight.splice(index, 1)[0];
  }

  kill(): void {
    try { this.child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
