/**
 * A real Promise that the runtime settles from outside and whose state can be read
 * synchronously (`done()`, `exception()`). A rejection nobody observes never becomes an
 * unhandled rejection: futures fail as data, callers decide whether to look.
 */
const noop = (): void => {};

// One shared executor hands the resolving functions over through these two slots: a
// closure per promise would cost ~170 bytes for each of a million pending futures.
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((reason: unknown) => void) | undefined;
function capture(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

export class SettablePromise<T> extends Promise<T> {
  // `then`/`catch` return plain Promises: derived promises are not futures.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  #resolve: ((value: T) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #state: 0 | 1 | 2 = 0;
  #outcome: unknown;

  /** Accepts an executor too, so `SubClass.resolve()`-style statics keep working. */
  constructor(executor?: (resolve: (value: T) => void, reject: (reason: unknown) => void) => void) {
    super(capture);
    this.#resolve = capturedResolve as (value: T) => void;
    this.#reject = capturedReject;
    capturedResolve = capturedReject = undefined;
    if (typeof executor === 'function') executor((v) => this.settleValue(v), (e) => this.settleError(e as Error));
  }

  /** True once the future has a result or an error. */
  done(): boolean {
    return this.#state !== 0;
  }

  /** The error it failed with, if it failed. */
  exception(): Error | undefined {
    return this.#state === 2 ? this.#outcome as Error : undefined;
  }

  /** The value, if it succeeded (undefined otherwise). */
  result(): T | undefined {
    return this.#state === 1 ? this.#outcome as T : undefined;
  }

  /** @internal */
  settleValue(value: T): void {
    if (this.#state !== 0) return;
    this.#state = 1;
    this.#outcome = value;
    const resolve = this.#resolve!;
    this.#resolve = this.#reject = undefined;
    resolve(value);
  }

  /** @internal */
  settleError(error: Error): void {
    if (this.#state !== 0) return;
    this.#state = 2;
    this.#outcome = error;
    const reject = this.#reject!;
    this.#resolve = this.#reject = undefined;
    Promise.prototype.then.call(this, undefined, noop);
    reject(error);
  }
}
