/**
 * Errors cross thread and process boundaries as plain records, so that the caller gets
 * back the original class (built-ins and ParslError subclasses), message, stack and fields.
 */
import { PARSL_ERROR_CLASSES, ParslError } from '../errors.js';
import { mapShippedFrames } from './shipped-frames.js';

export interface ErrorRecord {
  name: string;
  /**
   * The constructor's name when it differs from `name`: `class MyError extends Error {}`
   * sets no name of its own, so its errors are named 'Error'.
   */
  className?: string;
  message: string;
  stack?: string;
  /** Own enumerable fields that survive cloning (e.g. `exitCode`). */
  fields?: Record<string, unknown>;
  cause?: ErrorRecord;
  /** A ParslError subclass the receiver may not know by name: revive it as a ParslError at least. */
  parsl?: boolean;
}

/** Where a revived error keeps the name of its original class (see `remoteClassName`). */
const REMOTE_CLASS = Symbol.for('parsl-ts.remote-class');

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

function isCloneablePrimitive(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean', 'undefined', 'bigint'].includes(typeof v);
}

/** Turns anything thrown into a record that structured clone and JSON both carry. */
export function toErrorRecord(thrown: unknown): ErrorRecord {
  if (!(thrown instanceof Error)) {
    let text: string;
    try { text = typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown); }
    catch { text = String(thrown); }
    return { name: 'Error', message: `non-Error value thrown: ${text}` };
  }
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(thrown)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    const v = (thrown as unknown as Record<string, unknown>)[key];
    if (isCloneablePrimitive(v)) fields[key] = v;
    else if (Array.isArray(v) && v.every(isCloneablePrimitive)) fields[key] = v;
  }
  const record: ErrorRecord = { name: thrown.name, message: thrown.message, fields };
  const className = (Object.getPrototypeOf(thrown) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (typeof className === 'string' && className !== '' && className !== thrown.name) record.className = className;
  // Frames of code shipped by source point at the user's script, not at compiled code.
  if (thrown.stack !== undefined) record.stack = mapShippedFrames(thrown.stack);
  if (thrown.cause !== undefined) record.cause = toErrorRecord(thrown.cause);
  if (thrown instanceof ParslError && !Object.hasOwn(PARSL_ERROR_CLASSES, thrown.name)) record.parsl = true;
  return record;
}

/** Rebuilds an Error of the original class where that class is known here. */
export function fromErrorRecord(record: ErrorRecord): Error {
  let error: Error;
  const known = Object.hasOwn(PARSL_ERROR_CLASSES, record.name) ? PARSL_ERROR_CLASSES[record.name] : undefined;
  const parslClass = known ?? (record.parsl ? ParslError : undefined);
  const builtin = Object.hasOwn(BUILTIN_ERRORS, record.name) ? BUILTIN_ERRORS[record.name] : undefined;
  if (parslClass) {
    error = Object.create(parslClass.prototype) as Error;
    Object.defineProperty(error, 'message', { value: record.message, writable: true, configurable: true });
  } else {
    error = new (builtin ?? Error)(record.message);
    if (builtin === undefined) {
      Object.defineProperty(error, 'name', { value: record.name, writable: true, configurable: true });
    }
  }
  if (record.fields) Object.assign(error, record.fields);
  if (parslClass) Object.defineProperty(error, 'name', { value: record.name, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', {
    value: record.stack ?? `${record.name}: ${record.message}`, writable: true, configurable: true,
  });
  if (record.cause) Object.defineProperty(error, 'cause', { value: fromErrorRecord(record.cause), writable: true, configurable: true });
  if (record.className !== undefined) Object.defineProperty(error, REMOTE_CLASS, { value: record.className, configurable: true });
  return error;
}

/**
 * The name of the class a revived error had where it was thrown (its `name` unless the
 * class set none of its own), for looking the class up among an app module's exports.
 */
export function remoteClassName(error: Error): string {
  const className = (error as unknown as Record<symbol, unknown>)[REMOTE_CLASS];
  return typeof className === 'string' ? className : error.name;
}
