/**
 * Runs one task inside a worker (a thread of ThreadPoolExecutor or a process of the
 * HighThroughputExecutor): revive its code and Files, call it (or its command under bash),
 * enforce walltime where the worker itself can, check outputs, and report a result record.
 * Imports nothing from the driver's layers.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { constants as osConstants } from 'node:os';
import { AppTimeout, BadStdStreamFile, BashAppNoReturn, BashExitFailure, MissingOutputs } from '../errors.js';
import { File } from '../data/file.js';
import type { Transfer } from '../data/staging.js';
import { runTransfers } from '../data/transfer.js';
import { loadFunction } from '../serialize/code-loader.js';
import { toErrorRecord, type ErrorRecord } from '../serialize/errors.js';
import type { CodeSpec } from '../serialize/code.js';

export interface StdStreamSpec { path: string; mode: 'w' | 'a' }

/** A task as a worker receives it: its code travels separately, once per worker. */
export interface WireTask {
  taskId: number;
  tryId: number;
  codeId: string;
  appName: string;
  kind: 'function' | 'bash';
  args: unknown[];
  stdout?: StdStreamSpec;
  stderr?: StdStreamSpec;
  /** Seconds. */
  walltime?: number;
  /** Local paths that must exist after success. */
  outputs?: string[];
  /** Whether `args` hold Files to rebuild (found by the driver's scan). */
  hasFiles?: boolean;
  /** In-task staging: transfers to run before the app, and after it succeeded. */
  stageIn?: Transfer[];
  stageOut?: Transfer[];
}

export interface WireResult {
  taskId: number;
  tryId: number;
  ok: boolean;
  value?: unknown;
  error?: ErrorRecord;
}

type AnyFunction = (...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof (value as { then?: unknown }).then === 'function';
}

/** Rebuilds Files (and nothing else) inside cloned arguments. */
export function reviveFiles(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (File.isClonedFile(value)) return File.revive(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveFiles(value[i]);
    return value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = reviveFiles(record[key]);
  }
  return value;
}

function failure(task: WireTask, error: unknown): WireResult {
  return { taskId: task.taskId, tryId: task.tryId, ok: false, error: toErrorRecord(error) };
}

function checkOutputs(task: WireTask): void {
  if (!task.outputs || task.outputs.length === 0) return;
  const missing = task.outputs.filter((path) => !existsSync(path));
  if (missing.length > 0) throw new MissingOutputs(task.appName, missing);
}

function withWalltime<T>(task: WireTask, work: Promise<T>): Promise<T> {
  if (task.walltime === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppTimeout(task.appName, task.walltime!)), task.walltime! * 1000);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function openStream(stream: 'stdout' | 'stderr', spec: StdStreamSpec | undefined): number | 'inherit' {
  if (spec === undefined) return 'inherit';
  try {
    mkdirSync(dirname(spec.path), { recursive: true });
    return openSync(spec.path, spec.mode);
  } catch (error) {
    throw new BadStdStreamFile(stream, `cannot open ${spec.path}: ${(error as Error).message}`);
  }
}

function describeReturn(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

async function runBash(task: WireTask, fn: AnyFunction): Promise<number> {
  let command = fn(...task.args);
  if (isThenable(command)) command = await command;
  if (typeof command !== 'string') throw new BashAppNoReturn(task.appName, describeReturn(command));
  const out = openStream('stdout', task.stdout);
  let err: number | 'inherit';
  try { err = openStream('stderr', task.stderr); } catch (e) { if (typeof out === 'number') closeSync(out); throw e; }
  return await new Promise<number>((resolve, reject) => {
    const child = spawn('bash', ['-c', command as string], {
      stdio: ['ignore', out, err], detached: task.walltime !== undefined,
    });
    for (const fd of [out, err]) if (typeof fd === 'number') closeSync(fd);
    let timer: NodeJS.Timeout | undefined;
    if (task.walltime !== undefined) {
      timer = setTimeout(() => {
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
        reject(new AppTimeout(task.appName, task.walltime!));
      }, task.walltime * 1000);
    }
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const exitCode = code ?? 128 + (signal ? osConstants.signals[signal] ?? 0 : 0);
      if (exitCode === 0) resolve(0);
      else reject(new BashExitFailure(task.appName, exitCode));
    });
  });
}

async function runAsync(task: WireTask, fnOrPromise: AnyFunction | Promise<AnyFunction>, pending?: unknown): Promise<WireResult> {
  try {
    const fn = await fnOrPromise;
    if (task.stageIn) await runTransfers(task.stageIn);
    let value: unknown;
    if (task.kind === 'bash') value = await withWalltime(task, runBash(task, fn));
    else value = await withWalltime(task, Promise.resolve(pending !== undefined ? pending : fn(...task.args)));
    checkOutputs(task);
    if (task.stageOut) await runTransfers(task.stageOut);
    return { taskId: task.taskId, tryId: task.tryId, ok: true, value };
  } catch (error) {
    return failure(task, error);
  }
}

/**
 * Runs a task. Synchronous functions whose code is already loaded finish synchronously
 * (no promise per task: this is the no-op fast path); everything else returns a promise.
 */
export function runTask(task: WireTask, code: CodeSpec): WireResult | Promise<WireResult> {
  let fn: AnyFunction | Promise<AnyFunction>;
  try {
    if (task.hasFiles) task.args = reviveFiles(task.args) as unknown[];
    fn = loadFunction(code);
  } catch (error) {
    return failure(task, error);
  }
  if (task.kind === 'bash' || typeof fn !== 'function' || task.stageIn || task.stageOut) return runAsync(task, fn);
  let value: unknown;
  try {
    value = fn(...task.args);
  } catch (error) {
    return failure(task, error);
  }
  if (isThenable(value)) return runAsync(task, fn, value);
  try {
    checkOutputs(task);
  } catch (error) {
    return failure(task, error);
  }
  return { taskId: task.taskId, tryId: task.tryId, ok: true, value };
}
