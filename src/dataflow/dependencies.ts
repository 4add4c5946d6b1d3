/**
 * Finding dependencies in a call's arguments: futures and any other thenable, at any depth
 * inside arrays and plain objects; and putting their values in place once they resolve.
 */
import { DataFuture } from '../data/data-future.js';
import { File } from '../data/file.js';
import { AppFuture } from './app-future.js';

/** Containers nested deeper than this are passed as they are (guards against cycles). */
const MAX_DEPTH = 64;

export interface ArgumentScan {
  thenables: PromiseLike<unknown>[];
  hasFiles: boolean;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof (value as { then?: unknown }).then === 'function';
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function visit(value: unknown, scan: ArgumentScan, depth: number): void {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' && isThenable(value)) scan.thenables.push(value);
    return;
  }
  if (isThenable(value)) { scan.thenables.push(value); return; }
  if (depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'object' && item !== null) visit(item, scan, depth + 1);
    }
  } else if (value instanceof File) {
    scan.hasFiles = true;
  } else if (isPlain(value)) {
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if ((typeof item === 'object' || typeof item === 'function') && item !== null) visit(item, scan, depth + 1);
    }
  }
}

/** Finds every thenable and File inside `args`. */
export function scanArguments(args: unknown[]): ArgumentScan {
  const scan: ArgumentScan = { thenables: [], hasFiles: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if ((typeof arg === 'object' || typeof arg === 'function') && arg !== null) visit(arg, scan, 0);
  }
  return scan;
}

/** A copy of `value` with each thenable replaced by its resolved value; other objects shared. */
export function substitute(value: unknown, resolved: Map<unknown, unknown>, depth = 0): unknown {
  if (typeof value !== 'object' && typeof value !== 'function') return value;
  if (value === null) return value;
  if (resolved.has(value)) return resolved.get(value);
  if (depth >= MAX_DEPTH || typeof value === 'function') return value;
  if (Array.isArray(value)) return value.map((item) => substitute(item, resolved, depth + 1));
  if (!isPlain(value) || value instanceof File) return value;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = substitute((value as Record<string, unknown>)[key], resolved, depth + 1);
  return copy;
}

/** The task id behind a future (undefined for a plain promise), for error reports. */
export function taskIdOf(thenable: PromiseLike<unknown>): number | undefined {
  if (thenable instanceof AppFuture || thenable instanceof DataFuture) return thenable.taskId;
  return undefined;
}

export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(`non-Error value thrown: ${String(thrown)}`);
}
