/**
 * The keyword object: when the last argument of a call is a plain object, its keys
 * `inputs`, `outputs`, `stdout`, `stderr`, `walltime`, `resourceSpecification` and
 * `priority` mean what they mean in Parsl. The object is still passed to the function.
 */
import { BadStdStreamFile } from '../errors.js';
import { File } from '../data/file.js';
import type { StdStreamSpec } from '../executors/executor.js';

/** Use as `stdout`/`stderr` to get a per-task file under the run dir. */
export const AUTO_LOGNAME: unique symbol = Symbol.for('parsl-ts.AUTO_LOGNAME');
export type AutoLogname = typeof AUTO_LOGNAME;

export type StdStream = string | File | [string | File, 'w' | 'a'] | AutoLogname;

/** The keys of a keyword object; an app's last parameter may declare any of them. */
export interface AppKeywords {
  inputs?: unknown[];
  outputs?: (File | string)[];
  stdout?: StdStream;
  stderr?: StdStream;
  /** Seconds. */
  walltime?: number;
  resourceSpecification?: Record<string, unknown>;
  /** Lower runs first. */
  priority?: number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The keyword object of a call, if its last argument is a plain object. */
export function keywordsOf(args: unknown[]): AppKeywords | undefined {
  const last = args[args.length - 1];
  return isPlainObject(last) ? last as AppKeywords : undefined;
}

/** Parsl opens std streams for appending unless told otherwise. */
const DEFAULT_MODE = 'a';

/** Turns a `stdout`/`stderr` keyword into a path and a mode; throws BadStdStreamFile. */
export function stdStreamSpec(stream: 'stdout' | 'stderr', spec: unknown, autoPath: () => string): StdStreamSpec | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (spec === AUTO_LOGNAME) return { path: autoPath(), mode: 'w' };
  if (typeof spec === 'string' || spec instanceof File) {
    const path = String(spec);
    if (path.length === 0) throw new BadStdStreamFile(stream, 'empty path');
    return { path, mode: DEFAULT_MODE };
  }
  if (Array.isArray(spec)) {
    if (spec.length !== 2 || !(typeof spec[0] === 'string' || spec[0] instanceof File) || String(spec[0]).length === 0) {
      throw new BadStdStreamFile(stream, `expected [path, 'w' | 'a'], got an array of ${spec.length}`);
    }
    if (spec[1] !== 'w' && spec[1] !== 'a') {
      throw new BadStdStreamFile(stream, `mode must be 'w' or 'a', got ${JSON.stringify(spec[1])}`);
    }
    return { path: String(spec[0]), mode: spec[1] };
  }
  throw new BadStdStreamFile(stream, `expected a path, [path, mode], a File or AUTO_LOGNAME, got ${typeof spec}`);
}

/** `outputs` as Files; strings are accepted as local paths. */
export function outputFiles(outputs: unknown): File[] {
  if (outputs === undefined) return [];
  if (!Array.isArray(outputs)) throw new TypeError(`keyword 'outputs' must be an array of File, got ${typeof outputs}`);
  return outputs.map((entry, index) => {
    if (entry instanceof File) return entry;
    if (typeof entry === 'string') return new File(entry);
    throw new TypeError(`keyword 'outputs'[${index}] must be a File or a path, got ${typeof entry}`);
  });
}
