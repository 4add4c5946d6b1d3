/** The future an app call returns: a real Promise plus Parsl's Future surface. */
import { SettablePromise } from '../util/settable-promise.js';
import type { DataFuture } from '../data/data-future.js';
import type { TaskRecord } from './task-record.js';

/** What a future asks of its DataFlowKernel; kept minimal so futures stay light. */
export interface FutureOwner {
  cancelTask(taskId: number): boolean;
  /** A new task whose future resolves to `parent`'s value at `key`. */
  lift(parent: AppFuture<unknown>, key: PropertyKey): AppFuture<unknown>;
}

const NO_OUTPUTS: DataFuture[] = Object.freeze([]) as unknown as DataFuture[];

export class AppFuture<T> extends SettablePromise<T> {
  taskId = -1;
  /** One DataFuture per File in the call's `outputs`. */
  outputs: DataFuture[] = NO_OUTPUTS;
  /** The call's `stdout`/`stderr` paths, when given. */
  stdout: string | undefined;
  stderr: string | undefined;
  /** @internal */
  owner: FutureOwner | undefined;
  /** The task's record (state, tries with their errors); kept as long as the future is. */
  taskRecord: TaskRecord | undefined;

  /**
   * A future of one part of this future's value: `fut.get('key')`, `fut.get(0)`. It is a
   * task of its own (on the driver); when this future fails it fails with DependencyError.
   */
  get<K extends keyof T & (string | number)>(key: K): AppFuture<T[K]> {
    if (this.owner === undefined) throw new TypeError('get() needs a future returned by an app call');
    return this.owner.lift(this as AppFuture<unknown>, key) as AppFuture<T[K]>;
  }

  /** Cancels the task if it has not started; false once it runs (or ended). */
  cancel(): boolean {
    if (this.done() || this.owner === undefined) return false;
    return this.owner.cancelTask(this.taskId);
  }

  /** Python-compatible alias of `done()` state: true if cancelled. */
  cancelled(): boolean {
    return this.exception()?.name === 'TaskCancelledError';
  }

  override toString(): string {
    const state = !this.done() ? 'pending' : this.exception() ? `failed: ${this.exception()!.message}` : 'done';
    return `AppFuture(task ${this.taskId}, ${state})`;
  }
}
