/** A future for a file an app writes: resolves to the File once the app succeeded. */
import { SettablePromise } from '../util/settable-promise.js';
import type { File } from './file.js';

export class DataFuture extends SettablePromise<File> {
  constructor(readonly file: File, readonly taskId: number) {
    super();
  }

  get filepath(): string {
    return this.file.filepath;
  }

  override toString(): string {
    return `DataFuture(${this.file.url}, task ${this.taskId})`;
  }
}
