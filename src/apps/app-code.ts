/**
 * Decides how an app's code reaches workers (DESIGN §3): by source for apps defined in the
 * entry script (with what they use from the script, checked at definition), by reference
 * for apps exported from any other module (which may then use that module's imports).
 */
import { readFileSync } from 'node:fs';
import { captureSource, checkCapturedValue } from '../serialize/capture.js';
import { entryScript, pathToModuleUrl, type CallerLocation, type CodeSpec } from '../serialize/code.js';
import { remoteClassName } from '../serialize/errors.js';

let nextCodeId = 0;

/** Namespaces of the modules apps were exported from (already loaded by the driver). */
const appModules = new Map<string, Record<string, unknown>>();

/**
 * A spec producer for an app shipped by source. Captured values are read at each call: a
 * call after a captured object changed gets a new spec (a new id, so workers load it anew).
 */
function sourceSpec(fn: Function, name: string, selfName: string | undefined, definedIn: string | undefined, where: string): () => CodeSpec {
  const captured = captureSource(fn, name, selfName, definedIn, where);
  const base: Omit<Extract<CodeSpec, { kind: 'source' }>, 'id'> = { kind: 'source', name, source: captured.source };
  if (definedIn !== undefined) base.moduleUrl = pathToModuleUrl(definedIn);
  if (captured.bindings.length > 0) base.bindings = captured.bindings;
  if (selfName !== undefined) base.bindAs = selfName;
  if (captured.origin !== undefined) base.origin = captured.origin;
  if (captured.sourceMap !== undefined) base.sourceMap = captured.sourceMap;
  if (captured.values.length === 0) {
    const spec: CodeSpec = { ...base, id: `${name}#${nextCodeId++}` };
    return () => spec;
  }
  let spec: CodeSpec | undefined;
  let lastEncoding: string | undefined;
  return () => {
    const values = captured.values.map((live) => live.read());
    const encoding = values.map((value, i) => checkCapturedValue(name, captured.values[i]!.name, value)).join('|');
    if (spec === undefined || encoding !== lastEncoding) {
      lastEncoding = encoding;
      let next = 0;
      // A copy: later changes to the script's object do not reach this call's task.
      const bindings = captured.bindings.map((b) => (b.kind === 'value' ? { ...b, value: structuredClone(values[next++]) } : b));
      spec = { ...base, bindings, id: `${name}#${nextCodeId++}` };
    }
    return spec;
  };
}

const sourceLines = new Map<string, string[]>();

/**
 * The variable an app definition is assigned to (`const square = app(...)`), read from the
 * script's text at the call of `app()`; undefined when it is not a plain assignment.
 */
export function assignedName(location: CallerLocation | undefined): string | undefined {
  if (location === undefined) return undefined;
  let lines = sourceLines.get(location.path);
  if (lines === undefined) {
    try { lines = readFileSync(location.path, 'utf8').split('\n'); } catch { return undefined; }
    sourceLines.set(location.path, lines);
  }
  const before = (lines[location.line - 1] ?? '').slice(0, location.column - 1);
  const match = /(?:\b(?:const|let|var)\s+|^\s*|[,{]\s*)([A-Za-z_$][\w$]*)\s*(?::[^=]*)?(?:=|:)\s*(?:[\w$]+\.)*$/.exec(before);
  return match?.[1];
}

/**
 * Returns a function producing the app's CodeSpec. Entry-script apps are checked now and
 * fail at definition; module apps are looked up among their module's exports at first call.
 */
export function codeResolver(fn: Function, name: string, location: CallerLocation | undefined, wrapper: () => unknown): () => CodeSpec | Promise<CodeSpec> {
  const definedIn = location?.path;
  const selfName = assignedName(location);
  if (definedIn === undefined || definedIn === entryScript()) {
    return sourceSpec(fn, name, selfName, definedIn, 'defined in the entry script');
  }
  const moduleUrl = pathToModuleUrl(definedIn);
  let resolved: (() => CodeSpec) | Promise<() => CodeSpec> | undefined;
  return () => {
    if (typeof resolved === 'function') return resolved();
    resolved ??= (async () => {
      const namespace = await import(moduleUrl) as Record<string, unknown>;
      appModules.set(moduleUrl, namespace);
      const app = wrapper();
      for (const [exportName, value] of Object.entries(namespace)) {
        if (value === app || value === fn) {
          const spec: CodeSpec = { id: `${name}#${nextCodeId++}`, kind: 'reference', name, moduleUrl, exportName };
          resolved = () => spec;
          return resolved;
        }
      }
      // Not exported: it ships by source, with what it uses from its module.
      resolved = sourceSpec(fn, name, selfName, definedIn, `in ${definedIn} is not exported and`);
      return resolved;
    })();
    return resolved.then((produce) => produce());
  };
}

/**
 * An error revived from a worker whose class the driver did not know: if the app's module
 * exports an Error class of that name, give the error that class (so `instanceof` works
 * for the module's own error classes, named or not).
 */
export function withModuleErrorClass(error: Error, spec: CodeSpec | undefined): Error {
  if (spec === undefined || spec.kind !== 'reference') return error;
  const className = remoteClassName(error);
  if ((Object.getPrototypeOf(error) as { constructor?: { name?: string } }).constructor?.name === className) return error;
  const candidate = appModules.get(spec.moduleUrl)?.[className];
  if (typeof candidate === 'function' && candidate.prototype instanceof Error) Object.setPrototypeOf(error, candidate.prototype);
  return error;
}
