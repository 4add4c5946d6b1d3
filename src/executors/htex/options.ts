/** HighThroughputExecutor options: Parsl's names in camelCase, defaults and checks in one place. */
import { resolve } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { storageAccessOption } from '../../data/data-manager.js';
import type { StagingProvider } from '../../data/staging.js';
import type { ExecutionProvider } from '../../providers/provider.js';
import { LocalProvider } from '../../providers/local.js';
import type { BlockErrorHandler } from '../block-provider-executor.js';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol.js';
import { driverAddresses } from './addresses.js';

export interface HighThroughputExecutorOptions {
  /** Unique name of this executor in the config. Default `'htex'`. */
  label?: string;
  /** Where blocks of managers run. Default `new LocalProvider()` (one block on this machine). */
  provider?: ExecutionProvider;
  /** Most worker processes per node. Default `Infinity`: as many as cores (and memory) allow. */
  maxWorkersPerNode?: number;
  /** Cores each worker needs; a node runs at most `floor(cores / coresPerWorker)` workers. Default 1. */
  coresPerWorker?: number;
  /** GB of memory each worker needs; a node runs at most `floor(free GB / memPerWorker)` workers. Default 0 (no bound). */
  memPerWorker?: number;
  /**
   * Tasks a manager holds beyond one per worker, so workers never wait for the next one.
   * Default 0. Managers also hold more on their own while tasks take well under a millisecond.
   */
  prefetchCapacity?: number;
  /** Seconds between heartbeats, both ways. Default 30. */
  heartbeatPeriod?: number;
  /**
   * Seconds of silence after which the interchange declares a manager lost (its tasks fail
   * with ManagerLost) and a manager declares the interchange gone (it exits with its workers). Default 120.
   */
  heartbeatThreshold?: number;
  /** Seconds after which each manager stops taking tasks, finishes what it has and exits. Default: never. */
  drainPeriod?: number;
  /**
   * Address managers connect to, or several separated by commas (each manager tries them all
   * and keeps the first that answers). Default `'127.0.0.1'` with a LocalProvider, else every
   * non-loopback IPv4 address of this machine. The interchange listens on it (on every
   * interface for a hostname or a list).
   */
  address?: string;
  /** `[min, max]` ports the interchange may listen on. Default: any free port. */
  workerPortRange?: [number, number];
  /**
   * Accelerators per node: a count (ids 0…n-1) or a list of ids. One worker per accelerator,
   * with CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES and ZE_AFFINITY_MASK set to its id. Default none.
   */
  availableAccelerators?: number | string[];
  /** Shell commands run before the worker pool starts (module loads, environments). Default ''. */
  workerInit?: string;
  /** Wrap every interchange–manager connection in TLS (per-run self-signed certificate). Default false. */
  encrypted?: boolean;
  /** Largest frame, in bytes, either side accepts; bigger tasks or results fail with SerializationError. Default 256 MiB. */
  maxFrameBytes?: number;
  /** What to do when blocks fail: `true` (default) fails waiting tasks once every block has failed. */
  blockErrorHandler?: boolean | BlockErrorHandler;
  /** Staging providers for tasks' Files. Default `[NoOpFileStaging, HTTPSeparateTaskStaging, FTPSeparateTaskStaging]`. */
  storageAccess?: StagingProvider[];
  /**
   * Directory managers and workers run in (created if missing; relative to the driver's).
   * Staged files land there; relative local paths and std streams still mean the driver's.
   * Default: the directory the provider starts blocks in.
   */
  workingDir?: string;
}

export interface ResolvedHtexOptions {
  label: string;
  provider: ExecutionProvider;
  maxWorkersPerNode: number;
  coresPerWorker: number;
  memPerWorker: number;
  prefetchCapacity: number;
  heartbeatPeriod: number;
  heartbeatThreshold: number;
  drainPeriod: number | undefined;
  address: string;
  workerPortRange: [number, number] | undefined;
  availableAccelerators: string[];
  workerInit: string;
  encrypted: boolean;
  maxFrameBytes: number;
  blockErrorHandler: boolean | BlockErrorHandler;
  storageAccess: StagingProvider[];
  /** Absolute. */
  workingDir: string | undefined;
}

const KNOWN = new Set<string>([
  'label', 'provider', 'maxWorkersPerNode', 'coresPerWorker', 'memPerWorker', 'prefetchCapacity', 'heartbeatPeriod',
  'heartbeatThreshold', 'drainPeriod', 'address', 'workerPortRange', 'availableAccelerators', 'workerInit', 'encrypted',
  'maxFrameBytes', 'blockErrorHandler', 'storageAccess', 'workingDir',
]);

function fail(label: string, key: string, expected: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'an array' : String(value);
  throw new ConfigurationError(`HighThroughputExecutor ${label}: ${key} must be ${expected}, got ${shown}`, key);
}

function positive(label: string, key: string, value: unknown, fallback: number, { integer = false, zero = false, infinite = false } = {}): number {
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && !Number.isNaN(value) && (zero ? value >= 0 : value > 0)
    && (infinite || Number.isFinite(value)) && (!integer || !Number.isFinite(value) || Number.isInteger(value));
  if (!ok) fail(label, key, `a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}`, value);
  return value as number;
}

/** Fills defaults and checks every option; a bad one is a ConfigurationError naming it. */
export function resolveHtexOptions(options: HighThroughputExecutorOptions): ResolvedHtexOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('HighThroughputExecutor options must be an object');
  const label = options.label ?? 'htex';
  if (typeof label !== 'string' || label === '' || !/^[\w.-]+$/.test(label)) fail(String(label), 'label', 'a non-empty name of letters, digits, . _ -', label);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new ConfigurationError(`HighThroughputExecutor ${label}: unknown option '${key}'`, key);
  }
  const provider = options.provider ?? new LocalProvider();
  if (typeof provider !== 'object' || provider === null || typeof provider.submit !== 'function' || typeof provider.cancel !== 'function') {
    fail(label, 'provider', 'an execution provider (e.g. new LocalProvider())', provider);
  }
  const heartbeatPeriod = positive(label, 'heartbeatPeriod', options.heartbeatPeriod, 30);
  const heartbeatThreshold = positive(label, 'heartbeatThreshold', options.heartbeatThreshold, 120);
  if (heartbeatThreshold <= heartbeatPeriod) fail(label, 'heartbeatThreshold', `greater than heartbeatPeriod (${heartbeatPeriod})`, heartbeatThreshold);

  let accelerators: string[] = [];
  const acc = options.availableAccelerators;
  if (typeof acc === 'number') {
    if (!Number.isInteger(acc) || acc < 0) fail(label, 'availableAccelerators', 'a count or a list of ids', acc);
    accelerators = Array.from({ length: acc }, (_, i) => String(i));
  } else if (Array.isArray(acc)) {
    if (!acc.every((id) => (typeof id === 'string' || typeof id === 'number') && /^[\w.:-]+$/.test(String(id)))) {
      fail(label, 'availableAccelerators', 'a list of ids (letters, digits, . : _ -)', acc);
    }
    accelerators = acc.map(String);
  } else if (acc !== undefined) {
    fail(label, 'availableAccelerators', 'a count or a list of ids', acc);
  }

  const range = options.workerPortRange;
  if (range !== undefined && !(Array.isArray(range) && range.length === 2 && range.every((p) => Number.isInteger(p) && p > 0 && p < 65536) && range[0] <= range[1])) {
    fail(label, 'workerPortRange', 'a [min, max] pair of ports', range);
  }
  const address = options.address ?? (provider.label === 'local' ? '127.0.0.1' : driverAddresses().join(','));
  if (typeof address !== 'string' || address === '') fail(label, 'address', 'a host name or IP address', address);
  const workerInit = options.workerInit ?? '';
  if (typeof workerInit !== 'string') fail(label, 'workerInit', 'a string of shell commands', workerInit);
  if (options.encrypted !== undefined && typeof options.encrypted !== 'boolean') fail(label, 'encrypted', 'true or false', options.encrypted);
  const handler = options.blockErrorHandler ?? true;
  if (typeof handler !== 'boolean' && typeof handler !== 'function') fail(label, 'blockErrorHandler', 'a boolean or a function', handler);

  if (options.workingDir !== undefined && (typeof options.workingDir !== 'string' || options.workingDir === '')) fail(label, 'workingDir', 'a directory path', options.workingDir);

  const maxFrameBytes = positive(label, 'maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, { integer: true });
  if (maxFrameBytes < 1024 || !Number.isFinite(maxFrameBytes)) fail(label, 'maxFrameBytes', 'an integer of at least 1024', maxFrameBytes);

  return {
    label,
    provider,
    maxWorkersPerNode: positive(label, 'maxWorkersPerNode', options.maxWorkersPerNode, Infinity, { integer: true, infinite: true }),
    coresPerWorker: positive(label, 'coresPerWorker', options.coresPerWorker, 1),
    memPerWorker: positive(label, 'memPerWorker', options.memPerWorker, 0, { zero: true }),
    prefetchCapacity: positive(label, 'prefetchCapacity', options.prefetchCapacity, 0, { integer: true, zero: true }),
    heartbeatPeriod,
    heartbeatThreshold,
    drainPeriod: options.drainPeriod === undefined ? undefined : positive(label, 'drainPeriod', options.drainPeriod, 0),
    address,
    workerPortRange: range,
    availableAccelerators: accelerators,
    workerInit,
    encrypted: options.encrypted ?? false,
    maxFrameBytes,
    blockErrorHandler: handler,
    storageAccess: storageAccessOption(`HighThroughputExecutor ${label}`, options.storageAccess),
    workingDir: options.workingDir === undefined ? undefined : resolve(options.workingDir),
  };
}
