/**
 * Provider options shared by every scheduler: defaults filled and values checked in one
 * place, so each provider states only its own defaults and extra keys.
 */
import { ConfigurationError } from '../errors.js';
import { parseDuration } from '../config/config.js';
import type { Launcher } from './launchers/launcher.js';
import type { ProviderOptions } from './provider.js';

export type ResolvedProviderOptions = Required<Omit<ProviderOptions, 'schedulerOptions' | 'walltime'>>
  & { schedulerOptions: string; walltime: string | undefined };

type Check = (value: unknown) => string | undefined;

const nonNegativeInteger: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : 'a non-negative integer');
const positiveInteger: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : 'a positive integer');
const text: Check = (v) => (typeof v === 'string' ? undefined : 'a string');

export const PROVIDER_OPTION_CHECKS: Record<keyof ProviderOptions, Check> = {
  initBlocks: nonNegativeInteger,
  minBlocks: nonNegativeInteger,
  maxBlocks: nonNegativeInteger,
  nodesPerBlock: positiveInteger,
  parallelism: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a number from 0 to 1'),
  walltime: (v) => (typeof v === 'string' && parseDuration(v) !== undefined ? undefined : "a duration 'HH:MM:SS'"),
  launcher: (v) => (typeof v === 'object' && v !== null && typeof (v as Launcher).wrap === 'function' ? undefined : 'a launcher (e.g. new SingleNodeLauncher())'),
  workerInit: text,
  schedulerOptions: text,
};

export const positiveNumberCheck: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive number');

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * Checks `options` (unknown keys and wrong types are a ConfigurationError naming the key)
 * and fills defaults: the common ones, overridden by `defaults`, overridden by `options`.
 * `extraChecks` covers the provider's own keys.
 */
export function resolveProviderOptions<T extends ProviderOptions>(
  providerName: string,
  options: T,
  defaults: Omit<ResolvedProviderOptions, 'launcher'> & { launcher: () => Launcher },
  extraChecks: Record<string, Check> = {},
): ResolvedProviderOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigurationError(`${providerName} options must be an object`);
  }
  const checks: Record<string, Check> = { ...PROVIDER_OPTION_CHECKS, ...extraChecks };
  for (const [key, value] of Object.entries(options)) {
    const check = checks[key];
    if (check === undefined) {
      throw new ConfigurationError(`unknown ${providerName} option '${key}' (known options: ${Object.keys(checks).join(', ')})`, key);
    }
    if (value === undefined) continue;
    const expected = check(value);
    if (expected) throw new ConfigurationError(`${providerName} option '${key}' must be ${expected}, got ${describe(value)}`, key);
  }
  const resolved: ResolvedProviderOptions = {
    initBlocks: options.initBlocks ?? defaults.initBlocks,
    minBlocks: options.minBlocks ?? defaults.minBlocks,
    maxBlocks: options.maxBlocks ?? defaults.maxBlocks,
    nodesPerBlock: options.nodesPerBlock ?? defaults.nodesPerBlock,
    parallelism: options.parallelism ?? defaults.parallelism,
    walltime: options.walltime ?? defaults.walltime,
    launcher: options.launcher ?? defaults.launcher(),
    workerInit: options.workerInit ?? defaults.workerInit,
    schedulerOptions: options.schedulerOptions ?? defaults.schedulerOptions,
  };
  if (resolved.minBlocks > resolved.maxBlocks) {
    throw new ConfigurationError(`${providerName} option 'minBlocks' (${resolved.minBlocks}) exceeds 'maxBlocks' (${resolved.maxBlocks})`, 'minBlocks');
  }
  if (resolved.initBlocks > resolved.maxBlocks) {
    throw new ConfigurationError(`${providerName} option 'initBlocks' (${resolved.initBlocks}) exceeds 'maxBlocks' (${resolved.maxBlocks}); raise maxBlocks too`, 'initBlocks');
  }
  return resolved;
}

/** `'HH:MM:SS'` → seconds (the value was checked by resolveProviderOptions). */
export function walltimeSeconds(walltime: string): number {
  return parseDuration(walltime) ?? 0;
}
