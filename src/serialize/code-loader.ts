/**
 * How an app's code reaches a worker (DESIGN §3), worker side: revive a CodeSpec into a
 * callable. Kept free of the driver's parsing code so workers start small.
 */
import { moduleResolve } from 'import-meta-resolve';
import type { CodeSpec } from './code.js';
import { isTypeScriptFile, registerTypeScript } from '../util/typescript-loader.js';

/** Marks the raw function inside an app wrapper, so a by-reference import can unwrap it. */
export const APP_FUNCTION = Symbol.for('parsl-ts.app-function');

type AnyFunction = (...args: unknown[]) => unknown;

const loaded = new Map<string, AnyFunction | Promise<AnyFunction>>();

/** Node's resolution conditions plus the process's own `--conditions` (`-C`) flags. */
const RESOLVE_CONDITIONS = new Set(['node', 'import', ...conditionFlags([...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)])]);

function conditionFlags(args: string[]): string[] {
  const conditions: string[] = [];
  args.forEach((arg, i) => {
    const inline = /^(?:--conditions|-C)=(.+)$/.exec(arg);
    if (inline) conditions.push(inline[1]!);
    else if ((arg === '--conditions' || arg === '-C') && args[i + 1]) conditions.push(args[i + 1]!);
  });
  return conditions;
}

/** `import()` as if written in the module that defined the app. */
function importerFor(moduleUrl: string | undefined): (specifier: string) => Promise<unknown> {
  return (specifier: string) => {
    if (moduleUrl === undefined) return importModule(specifier);
    if (specifier.startsWith('./') || specifier.startsWith('../')) return importModule(new URL(specifier, moduleUrl).href);
    let target = specifier;
    try { target = moduleResolve(specifier, new URL(moduleUrl), RESOLVE_CONDITIONS).href; } catch { /* let the loader try */ }
    return importModule(target);
  };
}

/** `import()`, with the TypeScript loader registered first when the target is TypeScript. */
async function importModule(url: string): Promise<unknown> {
  if (isTypeScriptFile(url)) await registerTypeScript();
  return import(url);
}

/** esbuild (tsx) keeps function names with a module-level `__name` helper. */
function nameHelper<T>(target: T, value: string): T {
  try { Object.defineProperty(target, 'name', { value, configurable: true }); } catch { /* frozen */ }
  return target;
}

function unwrap(exported: unknown, spec: CodeSpec): AnyFunction {
  const fn = (exported as Record<symbol, unknown> | undefined)?.[APP_FUNCTION] ?? exported;
  if (typeof fn !== 'function') {
    throw new TypeError(`app ${spec.name}: export ${spec.kind === 'reference' ? spec.exportName : ''} of ${spec.moduleUrl} is not a function`);
  }
  return fn as AnyFunction;
}

async function importReference(spec: Extract<CodeSpec, { kind: 'reference' }>): Promise<AnyFunction> {
  const namespace = await importModule(spec.moduleUrl) as Record<string, unknown>;
  const fn = unwrap(namespace[spec.exportName], spec);
  loaded.set(spec.id, fn);
  return fn;
}

/** The function for a spec: synchronously when already known, else a promise. */
export function loadFunction(spec: CodeSpec): AnyFunction | Promise<AnyFunction> {
  const known = loaded.get(spec.id);
  if (known) return known;
  if (spec.kind === 'reference') {
    const pending = importReference(spec);
    loaded.set(spec.id, pending);
    pending.catch(() => loaded.delete(spec.id));
    return pending;
  }
  const factory = new Function('__parsl_import', '__name', `"use strict"; return (${spec.source});`);
  const fn = unwrap(factory(importerFor(spec.moduleUrl), nameHelper), spec);
  loaded.set(spec.id, fn);
  return fn;
}
