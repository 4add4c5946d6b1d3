/**
 * `runinfo/NNN/status.json`: a snapshot of a live run (tasks by state, each executor's
 * queue, blocks and managers), rewritten every second, so that `parsl-ts status` can say
 * from another terminal why a run is stuck.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ExecutorStatus } from '../executors/executor.js';
import type { TaskCounts } from './dfk.js';

export const STATUS_FILE = 'status.json';
const PERIOD_MS = 1000;

export interface RunStatus {
  runDir: string;
  pid: number;
  hostname: string;
  startedAt: number;
  updatedAt: number;
  /** `running` while the DFK lives; `ended` after cleanup. */
  state: 'running' | 'ended';
  tasks: TaskCounts;
  executors: ExecutorStatus[];
}

export interface StatusSource {
  readonly runDir: string;
  counts(): TaskCounts;
  executorStatuses(): ExecutorStatus[];
}

/** Writes the snapshot now and every second until `stop` (which writes the final one). */
export function startStatusFile(source: StatusSource): { stop(): void } {
  const startedAt = Date.now();
  const path = join(source.runDir, STATUS_FILE);
  const write = (state: RunStatus['state']) => {
    const status: RunStatus = {
      runDir: source.runDir, pid: process.pid, hostname: hostname(), startedAt, updatedAt: Date.now(), state,
      tasks: source.counts(), executors: source.executorStatuses(),
    };
    try {
      // Write then rename: a reader never sees half a file.
      writeFileSync(`${path}.tmp`, JSON.stringify(status, null, 1));
      renameSync(`${path}.tmp`, path);
    } catch { /* status is best effort */ }
  };
  write('running');
  const timer = setInterval(() => write('running'), PERIOD_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      write('ended');
    },
  };
}
