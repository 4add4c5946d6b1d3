/**
 * A future for a file: resolves to the File once the app that writes it succeeded (and its
 * stage-out ended), or once a staging task has brought it to the worker.
 */
import { SettablePromise } from '../util/settable-promise.js';
import type { File } from './file.js';

export class DataFuture extends SettablePromise<File> {
  /**
   * The executor whose workers have the file at `file.localPath` once this resolves: a task
   * on the same executor reads it there, with no copy. Undefined when unknown.
   */
  executor: string | undefined;

  /** `taskId`: the task that writes the file (a staging task's id is set once it is submitted). */
  constructor(readonly file: File, public taskId: number) {
    super();
  }

  get filepath(): string {
    return this.file.filepath;
  }

  override toString(): string {
    return `DataFuture(${this.file.url}, task ${this.taskId})`;
  }
}
