/**
 * The configuration of a run: what `defineConfig` checks and `load` uses. Defaults are
 * filled in one place (`resolveConfig`); every error names the key at fault.
 */
import { ConfigurationError } from '../errors.js';
import { isExecutor, type Executor } from '../executors/executor.js';
import { LOG_LEVELS, type ConsoleLogLevel, type LogLevel, type LogLevels } from '../util/logger.js';

/** Set by `parsl-ts run --log-level`, or by the user: the console's log level (overrides the config's). */
export const LOG_LEVEL_ENV = 'PARSL_LOG_LEVEL';

export type CheckpointMode = 'task_exit' | 'periodic' | 'dfk_exit' | 'manual';
export type StrategyName = 'none' | 'simple' | 'htexAutoScale';

/** A read-only view of a task given to `retryHandler`. */
export interface TaskRecordView {
  readonly id: number;
  readonly appName: string;
  readonly executor: string | undefined;
  readonly failCount: number;
  readonly failCost: number;
  readonly tries: readonly { tryId: number; error?: Error }[];
}

export interface MonitoringOptions {
  /**
   * Where to record: a path or `sqlite:///path.db` (SQLite; default `monitoring.db` in the run
   * dir, shared by all its runs) or a `postgresql://user:pass@host:port/db` URL.
   */
  dbUrl?: string;
  /** Whether workers sample the CPU, memory and I/O of running tries. Default true. */
  resourceMonitoringEnabled?: boolean;
  /** Seconds between resource samples of a running try. Default 5 (Parsl: 30). */
  resourceMonitoringInterval?: number;
  /** Shown in the `workflow` table and the dashboard. Default: the script's file name. */
  workflowName?: string;
  workflowVersion?: string;
}

/** Monitoring options with their defaults filled in (`dbUrl` is filled by the DFK from the run dir). */
export interface ResolvedMonitoring {
  dbUrl: string | undefined;
  resourceMonitoringEnabled: boolean;
  resourceMonitoringInterval: number;
  workflowName: string | undefined;
  workflowVersion: string | undefined;
}

export interface Config {
  /** Where tasks run; labels must be unique. */
  executors: Executor[];
  /** Parent of each run's `NNN/` directory. Default `./runinfo`. */
  runDir?: string;
  /** Retry budget per task. Default 0. */
  retries?: number;
  /** Cost of a failed try (default 1 each); the task is retried while the total ≤ `retries`. */
  retryHandler?: (error: Error, taskRecord: TaskRecordView) => number;
  /** Whether apps declared with `cache: true` reuse results. Default true. */
  appCache?: boolean;
  checkpointMode?: CheckpointMode | null;
  /** Seconds (or `'HH:MM:SS'`) between checkpoints in `'periodic'` mode. Default 1800. */
  checkpointPeriod?: number | string;
  /** Checkpoint directories of earlier runs to reuse results from. */
  checkpointFiles?: string[];
  strategy?: StrategyName;
  /** Seconds between strategy passes. Default 5. */
  strategyPeriod?: number;
  /** Seconds a block may stay idle before the strategy scales it in. Default 120. */
  maxIdletime?: number;
  /** Records the run in a monitoring database (see docs/monitoring.md); `true` means `{}`. Default off. */
  monitoring?: MonitoringOptions | boolean | null;
  /** Write `parsl.log` in the run dir. Default true. */
  initializeLogging?: boolean;
  /**
   * Log levels: a level (`'DEBUG' | 'INFO' | 'WARNING' | 'ERROR'`) shows that level and above
   * on the console (stderr); `{ file, console }` sets each. Defaults: `parsl.log` gets
   * everything (DEBUG), the console nothing (`'OFF'`). `PARSL_LOG_LEVEL` (and `parsl-ts run
   * --log-level`) overrides the console level.
   */
  logLevel?: ConsoleLogLevel | LogLevels;
}

/** A Config with every default filled in. */
export interface ResolvedConfig {
  executors: Executor[];
  runDir: string;
  retries: number;
  retryHandler: ((error: Error, taskRecord: TaskRecordView) => number) | undefined;
  appCache: boolean;
  checkpointMode: CheckpointMode | null;
  checkpointPeriod: number;
  checkpointFiles: string[];
  strategy: StrategyName;
  strategyPeriod: number;
  maxIdletime: number;
  monitoring: ResolvedMonitoring | null;
  initializeLogging: boolean;
  logLevel: { file: LogLevel; console: ConsoleLogLevel };
}

type Check = (value: unknown) => string | undefined;

const nonNegativeNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a non-negative number');
const positiveNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive number');
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'a boolean');
const oneOf = (...options: (string | null)[]): Check => (v) =>
  (options.includes(v as string | null) ? undefined : `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);

const CHECKS: Record<keyof Config, Check> = {
  executors: (v) => {
    if (!Array.isArray(v) || v.length === 0) return 'a non-empty array of executors';
    const bad = v.findIndex((e) => !isExecutor(e));
    return bad >= 0 ? `an array of executors (element ${bad} is not an executor)` : undefined;
  },
  runDir: (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a non-empty string'),
  retries: (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : 'a non-negative integer'),
  retryHandler: (v) => (typeof v === 'function' ? undefined : 'a function (error, taskRecord) => cost'),
  appCache: bool,
  checkpointMode: oneOf('task_exit', 'periodic', 'dfk_exit', 'manual', null),
  checkpointPeriod: (v) => (typeof v === 'string' ? (parseDuration(v) === undefined ? "a duration like '00:30:00'" : undefined) : positiveNumber(v)),
  checkpointFiles: (v) => (Array.isArray(v) && v.every((f) => typeof f === 'string') ? undefined : 'an array of paths'),
  strategy: oneOf('none', 'simple', 'htexAutoScale'),
  strategyPeriod: positiveNumber,
  maxIdletime: nonNegativeNumber,
  monitoring: (v) => (v === null || typeof v === 'boolean' || (typeof v === 'object' && !Array.isArray(v)) ? undefined : 'an object { dbUrl?, resourceMonitoringEnabled?, resourceMonitoringInterval?, workflowName?, workflowVersion? }'),
  initializeLogging: bool,
  logLevel: (v) => {
    const level = (l: unknown) => LOG_LEVELS.includes(l as ConsoleLogLevel);
    if (typeof v === 'string') return level(v) ? undefined : `one of ${LOG_LEVELS.map((l) => JSON.stringify(l)).join(', ')}`;
    const levels = v as Record<string, unknown> | null;
    const valid = typeof levels === 'object' && levels !== null && !Array.isArray(levels)
      && Object.keys(levels).every((k) => k === 'file' || k === 'console')
      && (levels['file'] === undefined || (level(levels['file']) && levels['file'] !== 'OFF'))
      && (levels['console'] === undefined || level(levels['console']));
    return valid ? undefined : `a level (${LOG_LEVELS.join(', ')}) or { file?, console? } of levels`;
  },
};

const text: Check = (v) => (typeof v === 'string' ? undefined : 'a string');

const MONITORING_CHECKS: Record<keyof MonitoringOptions, Check> = {
  dbUrl: (v) => (typeof v === 'string' && v.length > 0 && (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^(sqlite|postgres|postgresql):\/\//i.test(v))
    ? undefined : "a path, a 'sqlite:///…' URL or a 'postgresql://…' URL"),
  resourceMonitoringEnabled: bool,
  // 0: no resource samples, as in Parsl.
  resourceMonitoringInterval: nonNegativeNumber,
  workflowName: text,
  workflowVersion: text,
};

/** `'HH:MM:SS'`, `'MM:SS'` or seconds as text → seconds. */
export function parseDuration(text: string): number | undefined {
  if (!/^\d+(:\d{1,2}){0,2}$/.test(text.trim())) return undefined;
  return text.trim().split(':').reduce((total, part) => total * 60 + Number(part), 0);
}

function checkKeys(object: Record<string, unknown>, checks: Record<string, Check>, prefix: string): void {
  for (const key of Object.keys(object)) {
    const check = checks[key];
    if (!check) {
      throw new ConfigurationError(`unknown config key '${prefix}${key}' (known keys: ${Object.keys(checks).join(', ')})`, `${prefix}${key}`);
    }
    const value = object[key];
    if (value === undefined) continue;
    const expected = check(value);
    if (expected) {
      throw new ConfigurationError(`config key '${prefix}${key}' must be ${expected}, got ${describe(value)}`, `${prefix}${key}`);
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return `an object`;
  return `${typeof value} ${String(value)}`;
}

/** Checks a config and returns it unchanged (typed). Throws ConfigurationError naming the key. */
export function defineConfig(config: Config): Config {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigurationError('a config must be an object with at least `executors`');
  }
  checkKeys(config as unknown as Record<string, unknown>, CHECKS, '');
  if (config.executors === undefined) throw new ConfigurationError("config key 'executors' is required", 'executors');
  const labels = new Set<string>();
  for (const executor of config.executors) {
    if (labels.has(executor.label)) {
      throw new ConfigurationError(`config key 'executors': label '${executor.label}' is used twice; labels must be unique`, 'executors');
    }
    labels.add(executor.label);
  }
  if (typeof config.monitoring === 'object' && config.monitoring !== null) {
    checkKeys(config.monitoring as Record<string, unknown>, MONITORING_CHECKS, 'monitoring.');
  }
  return config;
}

/** Validates and fills every default. */
export function resolveConfig(config: Config): ResolvedConfig {
  defineConfig(config);
  const period = config.checkpointPeriod;
  return {
    executors: config.executors,
    runDir: config.runDir ?? 'runinfo',
    retries: config.retries ?? 0,
    retryHandler: config.retryHandler,
    appCache: config.appCache ?? true,
    checkpointMode: config.checkpointMode ?? null,
    checkpointPeriod: period === undefined ? 1800 : typeof period === 'string' ? parseDuration(period)! : period,
    checkpointFiles: config.checkpointFiles ?? [],
    strategy: config.strategy ?? 'simple',
    strategyPeriod: config.strategyPeriod ?? 5,
    maxIdletime: config.maxIdletime ?? 120,
    monitoring: resolveMonitoring(config.monitoring),
    initializeLogging: config.initializeLogging ?? true,
    logLevel: resolveLogLevel(config.logLevel),
  };
}

function resolveLogLevel(configured: Config['logLevel']): ResolvedConfig['logLevel'] {
  const levels = typeof configured === 'string' ? { console: configured } : configured ?? {};
  let consoleLevel = levels.console ?? 'OFF';
  const fromEnv = process.env[LOG_LEVEL_ENV];
  if (fromEnv) {
    const level = fromEnv.toUpperCase() as ConsoleLogLevel;
    if (!LOG_LEVELS.includes(level)) {
      throw new ConfigurationError(`environment variable ${LOG_LEVEL_ENV} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(fromEnv)}`, LOG_LEVEL_ENV);
    }
    consoleLevel = level;
  }
  return { file: levels.file ?? 'DEBUG', console: consoleLevel };
}

function resolveMonitoring(monitoring: Config['monitoring']): ResolvedMonitoring | null {
  if (monitoring === undefined || monitoring === null || monitoring === false) return null;
  const options = monitoring === true ? {} : monitoring;
  return {
    dbUrl: options.dbUrl,
    resourceMonitoringEnabled: options.resourceMonitoringEnabled ?? true,
    resourceMonitoringInterval: options.resourceMonitoringInterval ?? 5,
    workflowName: options.workflowName,
    workflowVersion: options.workflowVersion,
  };
}
