/**
 * `map(app, items, { chunk })`: one call of `app` per item, in the style of
 * `Executor.map`; the futures come back in item order. With `chunk > 1` each task runs the
 * app's function on `chunk` items in a row on one worker (fewer, larger tasks for cheap
 * functions); each item's future settles with that item's own value or error.
 */
import { app, type App, type AppDefinition, type Futurable } from '../apps/app.js';
import { withModuleErrorClass } from '../apps/app-code.js';
import type { CodeSpec } from '../serialize/code.js';
import { fromErrorRecord, type ErrorRecord } from '../serialize/errors.js';
import type { AppFuture } from './app-future.js';
import { currentDfk } from './load.js';
import { ownModuleUrl } from '../util/own-modules.js';

export interface MapOptions {
  /** Items per task (default 1). Only for function apps. */
  chunk?: number;
}

/** What the chunk runner imports on the worker, by absolute URL. */
const LOADER_URL = ownModuleUrl('../serialize/code-loader.js', import.meta.url).href;
const ERRORS_URL = ownModuleUrl('../serialize/errors.js', import.meta.url).href;

/** Per item: [1, value] or [0, ErrorRecord]. */
type ItemOutcome = [1, unknown] | [0, ErrorRecord];
type ChunkApp = App<[string, string, CodeSpec, unknown[]], ItemOutcome[]>;

/** An item's future: its outcome in the chunk's result, settled on the driver. */
const ITEM_DEFINITION: AppDefinition = Object.freeze({
  name: 'mapItem',
  kind: 'join',
  fn: ((outcomes: ItemOutcome[], index: number, code: CodeSpec) => {
    const outcome = outcomes[index]!;
    if (outcome[0] === 1) return outcome[1];
    // As for a task of the app itself: a class its module exports arrives as that class.
    throw withModuleErrorClass(fromErrorRecord(outcome[1]), code);
  }) as (...args: never[]) => unknown,
  executors: 'all',
  cache: false,
  ignoreForCache: [],
  code: undefined,
  inline: true,
});
const chunkApps = new WeakMap<AppDefinition, ChunkApp>();

/** The app that runs one chunk; one per mapped app, so it keeps that app's executors. */
function chunkAppFor(definition: AppDefinition): ChunkApp {
  let runner = chunkApps.get(definition);
  if (runner === undefined) {
    // Self-contained (it ships by source): everything it needs arrives as arguments.
    runner = app(async function mapChunk(loaderUrl: string, errorsUrl: string, code: CodeSpec, items: unknown[]) {
      const loader = await import(loaderUrl) as { loadFunction: (spec: CodeSpec) => ((item: unknown) => unknown) | Promise<(item: unknown) => unknown> };
      const { toErrorRecord } = await import(errorsUrl) as { toErrorRecord: (thrown: unknown) => ErrorRecord };
      const fn = await loader.loadFunction(code);
      const outcomes: ItemOutcome[] = [];
      for (const item of items) {
        try {
          outcomes.push([1, await fn(item)]);
        } catch (error) {
          outcomes.push([0, toErrorRecord(error)]);
        }
      }
      return outcomes;
    }, { executors: definition.executors });
    chunkApps.set(definition, runner);
  }
  return runner;
}

/**
 * Calls `target` once per item (the item is its one argument) and returns the futures in
 * item order: `await Promise.all(map(square, [1, 2, 3]))` gives `[1, 4, 9]`.
 */
export function map<A, R>(target: App<[A], R>, items: Iterable<Futurable<A>>, options: MapOptions = {}): AppFuture<R>[] {
  const chunk = options.chunk ?? 1;
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`map: option 'chunk' must be a positive integer, got ${String(chunk)}`);
  const list = Array.isArray(items) ? items as Futurable<A>[] : [...items];
  if (chunk === 1) return list.map((item) => (target as unknown as (item: unknown) => AppFuture<R>)(item));
  const definition = target.definition;
  if (definition.kind !== 'function' || definition.code === undefined) {
    throw new TypeError(`map: option 'chunk' needs a function app; ${definition.name} is a ${definition.kind} app`);
  }
  const runner = chunkAppFor(definition);
  const dfk = currentDfk();
  const futures: AppFuture<R>[] = [];
  for (let start = 0; start < list.length; start += chunk) {
    const slice = list.slice(start, start + chunk);
    // The code spec may still be loading (apps exported from modules): a dependency like any other.
    const code = definition.code();
    const chunkFuture = runner(LOADER_URL, ERRORS_URL, code as Futurable<CodeSpec>, slice);
    for (let i = 0; i < slice.length; i++) futures.push(dfk.submit(ITEM_DEFINITION, [chunkFuture, i, code]) as AppFuture<R>);
  }
  return futures;
}
