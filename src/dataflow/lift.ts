/**
 * Lifted futures: `fut.get('key')` / `fut.get(0)` is a future of one part of `fut`'s value.
 * Each is a small task run on the driver once the parent succeeds (as Parsl's
 * `AppFuture.__getitem__`), so a failed parent gives DependencyError like any dependency.
 */
import type { AppDefinition } from '../apps/app.js';

/** Reads `key` of a value: own keys of objects and arrays, entries of a Map. */
export function liftPart(value: unknown, key: string | number, parentTaskId: number): unknown {
  const what = `result of task ${parentTaskId}`;
  if (value === null || value === undefined) {
    throw new TypeError(`cannot get ${JSON.stringify(key)} of ${String(value)} (${what})`);
  }
  if (value instanceof Map) {
    if (!value.has(key)) throw new RangeError(`${what} (a Map) has no key ${JSON.stringify(key)}`);
    return value.get(key);
  }
  if (typeof value === 'object' || typeof value === 'string') {
    if (!Object.prototype.hasOwnProperty.call(value, key)) {
      const kind = Array.isArray(value) || typeof value === 'string' ? `of length ${(value as { length: number }).length} has no index` : 'has no key';
      throw new RangeError(`${what} ${kind} ${JSON.stringify(key)}`);
    }
    return (value as Record<string | number, unknown>)[key];
  }
  throw new TypeError(`cannot get ${JSON.stringify(key)} of a ${typeof value} (${what})`);
}

/** The definition every lifted task shares; the DFK runs it inline, never on an executor. */
export const LIFT_DEFINITION: AppDefinition = Object.freeze({
  name: 'get',
  kind: 'join',
  fn: liftPart as (...args: never[]) => unknown,
  executors: 'all',
  cache: false,
  ignoreForCache: [],
  code: undefined,
  inline: true,
});
