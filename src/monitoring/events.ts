/**
 * What executors tell the monitoring recorder. Executors receive an `ExecutorMonitor` in
 * their start context (only when monitoring is on) and call it; calls only queue rows, so
 * they are cheap, and nothing ever flows back. Times are milliseconds since the epoch.
 * Worker-side code imports only the sample layout from here.
 */

/** Where a try ran, as far as the executor knows. */
export interface TryPlacement {
  hostname?: string;
  blockId?: string;
  /** The manager (HTEX) or executor label (threads) that ran it. */
  managerId?: string;
  workerId?: string;
}

/** A node (HTEX manager, or the driver for a thread executor) as it is now. */
export interface NodeReport {
  executorLabel: string;
  uid: string;
  hostname: string;
  blockId: string;
  cpuCount: number;
  /** Bytes. */
  totalMemory: number;
  workerCount: number;
  active: boolean;
  nodeVersion: string;
  registeredAt: number;
  lastHeartbeat: number;
  /** Bytes of the manager process itself, when known. */
  managerMemoryResident?: number;
}

/**
 * One resource sample, flattened so that batches travel as one array of numbers:
 * `[taskId, tryId, time, pid, cpuUser s, cpuSystem s, rss B, vms B, readBytes, writeBytes,
 *   children, cpuPercent, memoryPercent, status]` (cumulative CPU and I/O of the process and
 * its children; memoryPercent: resident memory as a percentage of the node's; status: an
 * index into PROCESS_STATUSES, -1 when unknown).
 */
export const SAMPLE_FIELDS = 14;

/** The state of the worker process, named as psutil (and so Parsl) names them. */
export const PROCESS_STATUSES = [
  'running', 'sleeping', 'disk-sleep', 'stopped', 'tracing-stop', 'zombie', 'dead', 'idle', 'parked', 'waking',
] as const;

export interface ExecutorMonitor {
  /** Seconds between resource samples of a running try; 0 when sampling is off. */
  readonly resourceInterval: number;
  /** A try started running on a worker at `time`. */
  tryRunning(taskId: number, tryId: number, time: number, placement: TryPlacement): void;
  /** Flat samples (SAMPLE_FIELDS numbers each) taken where the tries ran. */
  resourceSamples(flat: readonly number[], hostname: string): void;
  /** A block changed state (`state` is the provider's; `message` says why, if known). */
  blockState(executorLabel: string, blockId: string, jobId: string | undefined, state: string, message: string | undefined, time: number): void;
  node(report: NodeReport): void;
}
