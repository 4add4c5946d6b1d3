/**
 * How an app's code reaches a worker (DESIGN §3), worker side: revive a CodeSpec into a
 * callable. Kept free of the driver's parsing code so workers start small.
 */
import { moduleResolve } from 'import-meta-resolve';
import { existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import type { CapturedBinding, CodeSpec, SourceOrigin } from './code.js';
import { registerShippedCode, type ShippedPiece } from './shipped-frames.js';
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

const TYPESCRIPT_TWINS: [RegExp, string][] = [[/\.js$/, '.ts'], [/\.mjs$/, '.mts'], [/\.jsx$/, '.tsx']];

/**
 * The URL `specifier` names when imported from `moduleUrl`, or undefined when only a loader
 * could tell. Relative `.js` names of TypeScript files resolve to the `.ts` file, as tsx does.
 */
export function resolveSpecifier(specifier: string, moduleUrl: string): string | undefined {
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/')) {
    const url = new URL(specifier, moduleUrl);
    if (url.protocol !== 'file:' || existsSync(fileURLToPath(url))) return url.href;
    for (const [js, ts] of TYPESCRIPT_TWINS) {
      const twin = new URL(url.href.replace(js, ts));
      if (js.test(url.pathname) && existsSync(fileURLToPath(twin))) return twin.href;
    }
    return url.href;
  }
  try { return moduleResolve(specifier, new URL(moduleUrl), RESOLVE_CONDITIONS).href; } catch { return undefined; }
}

/** `import()` as if written in the module that defined the app. */
function importerFor(moduleUrl: string | undefined): (specifier: string) => Promise<unknown> {
  return (specifier: string) => {
    if (moduleUrl === undefined) return importModule(specifier);
    return importModule(resolveSpecifier(specifier, moduleUrl) ?? specifier);
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

type SourceSpec = Extract<CodeSpec, { kind: 'source' }>;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The value an imported binding stands for (an app's plain function: no DFK on a worker). */
async function importBinding(binding: Extract<CapturedBinding, { kind: 'import' }>, importer: (specifier: string) => Promise<unknown>): Promise<unknown> {
  const namespace = await (binding.url === undefined ? importer(binding.specifier) : importModule(binding.url)) as Record<string, unknown>;
  if (binding.imported === '*') return namespace;
  const value = namespace[binding.imported];
  return (value as Record<symbol, unknown> | undefined)?.[APP_FUNCTION] ?? value;
}

/**
 * Compiles a source spec: its captured values and imports as constants, its captured
 * functions by source, then the app's function, named as in the script. Each function's
 * position is registered so that stack frames point at the user's file.
 */
function compileSource(spec: SourceSpec, imported: unknown[]): AnyFunction {
  const lines = ['"use strict";'];
  const pieces: ShippedPiece[] = [];
  const given: unknown[] = [];
  const place = (prefix: string, source: string, origin: SourceOrigin | undefined, suffix: string) => {
    if (origin !== undefined) pieces.push({ line: lines.length + 1, column: prefix.length + 1, origin });
    lines.push(...`${prefix}${source}${suffix}`.split('\n'));
  };
  let importIndex = 0;
  for (const binding of spec.bindings ?? []) {
    if (binding.kind === 'function') place(`const ${binding.name} = (`, binding.source, binding.origin, ');');
    else {
      given.push(binding.kind === 'value' ? binding.value : imported[importIndex++]);
      lines.push(`const ${binding.name} = __parsl_given[${given.length - 1}];`);
    }
  }
  const taken = new Set((spec.bindings ?? []).map((b) => b.name));
  // Bound to the script's variable name (recursion works, frames show the name); else named by key.
  const self = spec.bindAs !== undefined && IDENTIFIER.test(spec.bindAs) && !taken.has(spec.bindAs) ? spec.bindAs : undefined;
  if (self !== undefined) {
    place(`const ${self} = (`, spec.source, spec.origin, ');');
    lines.push(`return ${self};`);
  } else {
    const key = JSON.stringify(spec.name);
    place(`return ({ ${key}: (`, spec.source, spec.origin, `) })[${key}];`);
  }
  const filename = registerShippedCode(spec.moduleUrl ?? 'unknown', pieces, spec.sourceMap);
  const factory = compileFunction(lines.join('\n'), ['__parsl_import', '__name', '__parsl_given'], { filename });
  return unwrap(factory(importerFor(spec.moduleUrl), nameHelper, given), spec);
}

async function loadWithImports(spec: SourceSpec): Promise<AnyFunction> {
  const importer = importerFor(spec.moduleUrl);
  const imports = (spec.bindings ?? []).filter((b): b is Extract<CapturedBinding, { kind: 'import' }> => b.kind === 'import');
  const fn = compileSource(spec, await Promise.all(imports.map((binding) => importBinding(binding, importer))));
  loaded.set(spec.id, fn);
  return fn;
}

/** The function for a spec: synchronously when already known, else a promise. */
export function loadFunction(spec: CodeSpec): AnyFunction | Promise<AnyFunction> {
  const known = loaded.get(spec.id);
  if (known) return known;
  if (spec.kind === 'reference' || spec.bindings?.some((b) => b.kind === 'import')) {
    const pending = spec.kind === 'reference' ? importReference(spec) : loadWithImports(spec);
    loaded.set(spec.id, pending);
    pending.catch(() => loaded.delete(spec.id));
    return pending;
  }
  const fn = compileSource(spec, []);
  loaded.set(spec.id, fn);
  return fn;
}
