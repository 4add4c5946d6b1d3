/**
 * `map(app, items, { chunk })`: one call of `app` per item, in the style of
 * `Executor.map`; the futures come back in item order. With `chunk > 1` each task runs the
 * app's function on `chunk` items in a row on one worker (fewer, larger tasks for cheap
 * functions), and each item's future is a lifted future of its chunk's result.
 */
import { app, type App, type AppDefinition, type Futurable } from '../apps/app.js';
import type { CodeSpec } from '../serialize/code.js';
import type { AppFuture } from './app-future.js';

export interface MapOptions {
  /** Items per task (default 1). Only for function apps. */
  chunk?: number;
}

/** Where workers load app code from; the chunk runner imports it by absolute URL. */
const LOADER_URL = new URL('../serialize/code-loader.ts', import.meta.url).href;

type ChunkApp = App<[string, CodeSpec, unknown[]], unknown[]>;
const chunkApps = new WeakMap<AppDefinition, ChunkApp>();

/** The app that runs one chunk; one per mapped app, so it keeps that app's executors. */
function chunkAppFor(definition: AppDefinition): ChunkApp {
  let runner = chunkApps.get(definition);
  if (runner === undefined) {
    // Self-contained (it ships by source): everything it needs arrives as arguments.
    runner = app(async function mapChunk(loaderUrl: string, code: CodeSpec, items: unknown[]) {
      const loader = await import(loaderUrl) as { loadFunction: (spec: CodeSpec) => ((item: unknown) => unknown) | Promise<(item: unknown) => unknown> };
      const fn = await loader.loadFunction(code);
      const results: unknown[] = [];
      for (const item of items) results.push(await fn(item));
      return results;
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
  const futures: AppFuture<R>[] = [];
  for (let start = 0; start < list.length; start += chunk) {
    const slice = list.slice(start, start + chunk);
    // The code spec may still be loading (apps exported from modules): a dependency like any other.
    const chunkFuture = runner(LOADER_URL, definition.code() as Futurable<CodeSpec>, slice);
    for (let i = 0; i < slice.length; i++) futures.push(chunkFuture.get(i) as AppFuture<R>);
  }
  return futures;
}
