/**
 * `app`, `bashApp` and `joinApp`: wrap a function so that calling it submits a task to the
 * current DataFlowKernel and returns an AppFuture at once.
 */
import { AppDefinitionError } from '../errors.js';
import { APP_FUNCTION } from '../serialize/code-loader.js';
import { callerLocation, type CodeSpec } from '../serialize/code.js';
import type { AppFuture } from '../dataflow/app-future.js';
import { assignedName, codeResolver } from './app-code.js';

export interface AppOptions {
  /**
   * The app's name in logs, task log file names, errors, status and monitoring. Default:
   * the function's name, else the variable it is assigned to (`const square = app(…)`).
   */
  name?: string;
  /** Labels of the executors this app may run on, or `'all'` (default). */
  executors?: string[] | 'all';
  /** Reuse the result of an earlier equal call (see the app cache). */
  cache?: boolean;
  /** Keyword-object keys left out of the cache key. */
  ignoreForCache?: string[];
}

export type AppKind = 'function' | 'bash' | 'join';

/** Everything the DFK needs to know about an app. */
export interface AppDefinition {
  readonly name: string;
  readonly kind: AppKind;
  readonly fn: (...args: never[]) => unknown;
  readonly executors: string[] | 'all';
  readonly cache: boolean;
  readonly ignoreForCache: readonly string[];
  /** How workers get the code; undefined for join apps, which run on the driver. */
  readonly code: (() => CodeSpec | Promise<CodeSpec>) | undefined;
  /** Internal (lifted futures, map chunks): `fn` runs on the driver and its return value is the result. */
  readonly inline?: boolean;
}

/** The DFK entry point apps call; set by the dataflow layer to avoid an import cycle. */
export interface AppSubmitter {
  submit(definition: AppDefinition, args: unknown[]): AppFuture<unknown>;
}
let submitterLookup: (() => AppSubmitter) | undefined;
export function setSubmitterLookup(lookup: () => AppSubmitter): void {
  submitterLookup = lookup;
}

/** A value, or a future/promise of it, at any depth inside arrays and plain objects. */
export type Futurable<T> =
  | T
  | PromiseLike<T>
  | (T extends (infer E)[] ? Futurable<E>[]
    : T extends readonly (infer E)[] ? readonly Futurable<E>[]
    : T extends (...args: never[]) => unknown ? never
    : T extends object ? { [K in keyof T]: Futurable<T[K]> }
    : never);

export type FuturableArgs<A extends unknown[]> = { [K in keyof A]: Futurable<A[K]> };

/** The callable an app definition returns. */
export interface App<A extends unknown[], R> {
  (...args: FuturableArgs<A>): AppFuture<R>;
  readonly appName: string;
  readonly definition: AppDefinition;
}

const DEFINITION = Symbol.for('parsl-ts.app-definition');

function checkOptions(name: string, options: AppOptions): void {
  const known = ['name', 'executors', 'cache', 'ignoreForCache'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new AppDefinitionError(`app ${name}: unknown option '${key}' (known: ${known.join(', ')})`, name);
  }
  const executors = options.executors;
  if (executors !== undefined && executors !== 'all' && !(Array.isArray(executors) && executors.every((e) => typeof e === 'string'))) {
    throw new AppDefinitionError(`app ${name}: option 'executors' must be 'all' or an array of labels`, name);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) {
    throw new AppDefinitionError(`app ${name}: option 'name' must be a non-empty string`, name);
  }
}

function defineApp(kind: AppKind, fn: unknown, options: AppOptions = {}): App<unknown[], unknown> {
  if (typeof fn !== 'function') {
    throw new AppDefinitionError(`${kind === 'function' ? 'app' : kind === 'bash' ? 'bashApp' : 'joinApp'}() needs a function, got ${typeof fn}`, '<unknown>');
  }
  const location = callerLocation();
  const name = options.name || fn.name || assignedName(location) || 'anonymous';
  checkOptions(name, options);
  let wrapper: App<unknown[], unknown> | undefined;
  const code = kind === 'join' ? undefined : codeResolver(fn, name, location, () => wrapper);
  const definition: AppDefinition = {
    name, kind, fn: fn as (...args: never[]) => unknown, code,
    executors: options.executors ?? 'all',
    cache: options.cache ?? false,
    ignoreForCache: options.ignoreForCache ?? [],
  };
  const call = (...args: unknown[]) => {
    if (submitterLookup === undefined) throw new Error('parsl-ts dataflow layer not loaded');
    return submitterLookup().submit(definition, args);
  };
  Object.defineProperty(call, 'name', { value: name });
  Object.defineProperty(call, 'appName', { value: name });
  Object.defineProperty(call, 'definition', { value: definition });
  Object.defineProperty(call, DEFINITION, { value: definition });
  Object.defineProperty(call, APP_FUNCTION, { value: fn });
  wrapper = call as unknown as App<unknown[], unknown>;
  return wrapper;
}

/*
 * The app functions are typed as a whole (`F`), not as `(...args: A) => R`: while `A` is
 * still being inferred, TypeScript types an unannotated parameter with a default
 * (`dur = 0.1`) as `unknown` inside the function. Against `never[]` parameters it keeps its
 * default's type (and a parameter with neither annotation nor default is `never`: annotate it).
 */
type AppFunction<R = unknown> = (...args: never[]) => R;
type ParamsOf<F> = F extends (...args: infer A) => unknown ? A : never;
type ReturnOf<F> = F extends (...args: never[]) => infer R ? R : never;

/** A function app: runs `fn` on a worker; the future resolves to its (awaited) result. */
export function app<F extends AppFunction>(fn: F, options?: AppOptions): App<ParamsOf<F>, Awaited<ReturnOf<F>>> {
  return defineApp('function', fn, options) as unknown as App<ParamsOf<F>, Awaited<ReturnOf<F>>>;
}

/** A bash app: `fn` returns a command line run under `bash -c`; resolves to exit code 0. */
export function bashApp<F extends AppFunction<string | Promise<string>>>(fn: F, options?: AppOptions): App<ParamsOf<F>, number> {
  return defineApp('bash', fn, options) as unknown as App<ParamsOf<F>, number>;
}

type JoinValues<R extends readonly unknown[]> = { -readonly [K in keyof R]: Awaited<R[K]> };
/** What a join app's future resolves to: the value(s) of the future(s) its function returns. */
type JoinResult<R> = R extends readonly unknown[] ? JoinValues<R>
  // An async join function: a promise of the future(s).
  : Awaited<R> extends infer V ? (V extends readonly unknown[] ? JoinValues<V> : V) : never;

/** A join app: `fn` runs on the driver and returns a future (or array of futures) to wait for. */
export function joinApp<F extends AppFunction<PromiseLike<unknown> | readonly PromiseLike<unknown>[]>>(
  fn: F, options?: AppOptions,
): App<ParamsOf<F>, JoinResult<ReturnOf<F>>> {
  return defineApp('join', fn, options) as unknown as App<ParamsOf<F>, JoinResult<ReturnOf<F>>>;
}
