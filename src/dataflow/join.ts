/**
 * Join apps run on the driver: call the function, then wait for the future (or the array
 * of futures) it returns. Failures among them become a JoinError naming each.
 */
import type { AppDefinition } from '../apps/app.js';
import { JoinError, type FailedTask } from '../errors.js';
import type { TaskOutcome } from '../executors/executor.js';
import { asError, isThenable, taskIdOf } from './dependencies.js';

function notFutures(definition: AppDefinition, what: string): TaskOutcome {
  return { ok: false, error: new TypeError(`join app ${definition.name} must return a future or an array of futures, ${what}`) };
}

/** Told the tasks a join app waits on, once they are known (for monitoring's `try.task_joins`). */
export type JoinObserver = (taskIds: number[]) => void;

function observe(onJoin: JoinObserver | undefined, inner: PromiseLike<unknown>[]): void {
  if (onJoin === undefined) return;
  const ids = inner.map(taskIdOf).filter((id): id is number => id !== undefined);
  if (ids.length > 0) onJoin(ids);
}

async function waitAll(definition: AppDefinition, inner: unknown[], taskId: number, onJoin: JoinObserver | undefined): Promise<TaskOutcome> {
  const bad = inner.findIndex((item) => !isThenable(item));
  if (bad >= 0) return notFutures(definition, `but element ${bad} is a ${typeof inner[bad]}`);
  observe(onJoin, inner as PromiseLike<unknown>[]);
  const outcomes = await Promise.allSettled(inner as PromiseLike<unknown>[]);
  const failed: FailedTask[] = [];
  outcomes.forEach((o, i) => {
    if (o.status === 'rejected') failed.push({ taskId: taskIdOf(inner[i] as PromiseLike<unknown>), error: asError(o.reason) });
  });
  if (failed.length > 0) return { ok: false, error: new JoinError(failed, taskId) };
  return { ok: true, value: outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value) };
}

/** Runs a join app; the promise never rejects: failures are outcomes. */
export async function runJoinApp(definition: AppDefinition, args: unknown[], taskId: number, onJoin?: JoinObserver): Promise<TaskOutcome> {
  let returned: unknown;
  try {
    returned = (definition.fn as (...args: unknown[]) => unknown)(...args);
  } catch (error) {
    return { ok: false, error: asError(error) };
  }
  if (Array.isArray(returned)) return waitAll(definition, returned, taskId, onJoin);
  if (!isThenable(returned)) return notFutures(definition, `got ${returned === null ? 'null' : typeof returned}`);
  // A future of another task is joined; an async function's own promise is not a task.
  if (taskIdOf(returned) !== undefined) observe(onJoin, [returned]);
  let value: unknown;
  try {
    value = await returned;
  } catch (error) {
    return { ok: false, error: new JoinError([{ taskId: taskIdOf(returned), error: asError(error) }], taskId) };
  }
  // An async join function resolves to the array of futures it built.
  if (Array.isArray(value) && value.some(isThenable)) return waitAll(definition, value, taskId, onJoin);
  return { ok: true, value };
}
