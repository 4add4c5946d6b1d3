/**
 * Turns the DFK's tasks into task frames for one manager: each app's code once per
 * manager, one `v8.serialize` per batch, batches split to fit the frame cap, and tasks that
 * cannot travel (an unserializable argument, too big for a frame) failed by name.
 */
import { serialize } from 'node:v8';
import { SerializationError } from '../../errors.js';
import type { CodeSpec } from '../../serialize/code.js';
import type { ExecutorTask } from '../executor.js';
import { encodeTaskBatch, type CodeEntry, type TaskExtras, type WireTaskEntry } from './protocol.js';

/** Small numbers for apps, so tasks carry an index rather than their code. */
export class CodeTable {
  #byKey = new Map<string, CodeEntry>();
  #bySpec = new WeakMap<CodeSpec, CodeEntry>();

  entryFor(task: ExecutorTask): CodeEntry {
    const cached = this.#bySpec.get(task.code);
    if (cached !== undefined && cached.appName === task.appName && cached.kind === task.kind) return cached;
    const key = `${task.kind}\0${task.appName}\0${task.code.id}`;
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      entry = { index: this.#byKey.size, appName: task.appName, kind: task.kind, spec: task.code };
      this.#byKey.set(key, entry);
    }
    this.#bySpec.set(task.code, entry);
    return entry;
  }
}

export interface EncodedBatch {
  payload: Buffer;
  tasks: ExecutorTask[];
  /** Code indexes this batch teaches the manager. */
  newCodes: number[];
}

export interface FailedTask {
  task: ExecutorTask;
  error: Error;
}

function extrasOf(task: ExecutorTask): TaskExtras | 0 {
  if (!task.stdout && !task.stderr && !task.hasFiles && !(task.outputs && task.outputs.length > 0) && !task.stageIn && !task.stageOut) return 0;
  const extras: TaskExtras = {};
  if (task.stdout) extras.stdout = task.stdout;
  if (task.stderr) extras.stderr = task.stderr;
  if (task.outputs && task.outputs.length > 0) extras.outputs = task.outputs;
  if (task.hasFiles) extras.hasFiles = true;
  if (task.stageIn) extras.stageIn = task.stageIn;
  if (task.stageOut) extras.stageOut = task.stageOut;
  return extras;
}

function why(value: unknown): string | undefined {
  try { serialize(value); return undefined; } catch (error) { return (error as Error).message; }
}

/**
 * Encodes `batch` for a manager that knows `knownCodes` (not modified). Usually one frame;
 * more when the batch is bigger than `maxFrameBytes`.
 */
export function encodeForManager(table: CodeTable, knownCodes: ReadonlySet<number>, batch: ExecutorTask[], maxFrameBytes: number): { frames: EncodedBatch[]; failed: FailedTask[] } {
  const frames: EncodedBatch[] = [];
  const failed: FailedTask[] = [];
  const taught = new Set<number>();
  const encode = (tasks: ExecutorTask[]): void => {
    const codes: CodeEntry[] = [];
    const entries: WireTaskEntry[] = new Array(tasks.length);
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      const code = table.entryFor(task);
      if (!knownCodes.has(code.index) && !taught.has(code.index) && !codes.includes(code)) codes.push(code);
      entries[i] = {
        taskId: task.taskId, tryId: task.tryId, codeIndex: code.index,
        walltime: task.walltime ?? -1, args: task.args, extras: extrasOf(task),
      };
    }
    let payload: Buffer;
    try {
      payload = encodeTaskBatch(codes, entries);
    } catch (error) {
      const good: ExecutorTask[] = [];
      for (const task of tasks) {
        const bad = task.args.findIndex((arg) => why(arg) !== undefined);
        if (bad >= 0) failed.push({ task, error: new SerializationError(`argument ${bad} of app ${task.appName} (task ${task.taskId})`, why(task.args[bad])!) });
        else good.push(task);
      }
      if (good.length === tasks.length) {
        for (const task of tasks) failed.push({ task, error: new SerializationError(`task ${task.taskId} of app ${task.appName}`, (error as Error).message) });
      } else if (good.length > 0) {
        encode(good);
      }
      return;
    }
    if (payload.length + 1 > maxFrameBytes) {
      if (tasks.length === 1) {
        failed.push({ task: tasks[0]!, error: new SerializationError(`task ${tasks[0]!.taskId} of app ${tasks[0]!.appName}`, `its ${payload.length} bytes exceed the frame cap of ${maxFrameBytes} bytes`) });
        return;
      }
      const half = Math.ceil(tasks.length / 2);
      encode(tasks.slice(0, half));
      encode(tasks.slice(half));
      return;
    }
    for (const code of codes) taught.add(code.index);
    frames.push({ payload, tasks, newCodes: codes.map((c) => c.index) });
  };
  encode(batch);
  return { frames, failed };
}
