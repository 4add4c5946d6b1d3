/**
 * Decides how an app's code reaches workers (DESIGN §3): by source for apps defined in the
 * entry script (checked for captured variables at definition), by reference for apps
 * exported from any other module (which may then use that module's imports).
 */
import { AppDefinitionError } from '../errors.js';
import { analyzeSource, callerPath, entryScript, functionSource, pathToModuleUrl, type CodeSpec } from '../serialize/code.js';
import { remoteClassName } from '../serialize/errors.js';

let nextCodeId = 0;

/** Namespaces of the modules apps were exported from (already loaded by the driver). */
const appModules = new Map<string, Record<string, unknown>>();

function sourceSpec(fn: Function, name: string, definedIn: string | undefined, where: string): CodeSpec {
  let source: string;
  try {
    source = functionSource(fn, name);
  } catch (error) {
    throw new AppDefinitionError(`${(error as Error).message}; define the app with a plain function or arrow function`, name);
  }
  const { captured, rewritten } = analyzeSource(source);
  if (captured.length > 0) {
    throw new AppDefinitionError(
      `app ${name} ${where} uses ${captured.map((n) => `'${n}'`).join(', ')} from its enclosing scope; `
      + 'its source is shipped to workers without that scope. Pass the value as an argument, '
      + 'import it inside the function with `await import(...)`, or define the app in (and export it from) another module so it ships by reference',
      name, captured,
    );
  }
  const spec: CodeSpec = { id: `${name}#${nextCodeId++}`, kind: 'source', name, source: rewritten };
  if (definedIn !== undefined) spec.moduleUrl = pathToModuleUrl(definedIn);
  return spec;
}

/**
 * Returns a function producing the app's CodeSpec. Entry-script apps are checked now and
 * fail at definition; module apps are looked up among their module's exports at first call.
 */
export function codeResolver(fn: Function, name: string, wrapper: () => unknown): () => CodeSpec | Promise<CodeSpec> {
  const definedIn = callerPath();
  const entry = entryScript();
  if (definedIn === undefined || definedIn === entry) {
    const spec = sourceSpec(fn, name, definedIn, 'defined in the entry script');
    return () => spec;
  }
  const moduleUrl = pathToModuleUrl(definedIn);
  let resolved: CodeSpec | Promise<CodeSpec> | undefined;
  return () => {
    resolved ??= (async () => {
      const namespace = await import(moduleUrl) as Record<string, unknown>;
      appModules.set(moduleUrl, namespace);
      const app = wrapper();
      for (const [exportName, value] of Object.entries(namespace)) {
        if (value === app || value === fn) {
          const spec: CodeSpec = { id: `${name}#${nextCodeId++}`, kind: 'reference', name, moduleUrl, exportName };
          resolved = spec;
          return spec;
        }
      }
      // Not exported: it can still ship by source if it is self-contained.
      const spec = sourceSpec(fn, name, definedIn, `in ${definedIn} is not exported and`);
      resolved = spec;
      return spec;
    })();
    return resolved;
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
