/**
 * What an app shipped by source takes along from its script (DESIGN §3, as Python's dill
 * does): each name it uses from the script's top level becomes an import of the same module
 * (imported bindings), a value (constants that can be structured-cloned: their value at the
 * call), or a function shipped by source itself (functions, classes, other apps), checked
 * the same way, recursively. Anything else is refused at definition, naming the variable
 * and saying why.
 */
import { findSourceMap } from 'node:module';
import { AppDefinitionError } from '../errors.js';
import { canonicalEncoding, Unhashable } from './canonical.js';
import { analyzeSource, functionSource, pathToModuleUrl, type CapturedBinding, type SourceOrigin } from './code.js';
import { APP_FUNCTION, resolveSpecifier } from './code-loader.js';
import { inspectFunction, type FunctionInspection } from './inspect-function.js';
import { moduleDeclarations, type TopLevelDeclaration } from './module-scope.js';

/** A captured value, read again at each call (a `const` object may have changed since). */
export interface LiveValue {
  name: string;
  read(): unknown;
}

export interface CapturedSource {
  /** The function's source, with `import()` rewritten for the worker. */
  source: string;
  origin: SourceOrigin | undefined;
  /** Imports, values (with `value` unset: read at each call) and functions, dependencies first. */
  bindings: CapturedBinding[];
  values: LiveValue[];
  sourceMap: object | undefined;
}

interface Problem { name: string; reason: string }

const FIXES = 'Pass the value as an argument, import it inside the function with `await import(...)`, '
  + 'or define the app in (and export it from) another module so it ships by reference';

/**
 * Analyzes an app's function. `selfName` is the variable the app is assigned to (its own
 * name is no capture); `modulePath` the script that defines it. Throws AppDefinitionError.
 */
export function captureSource(fn: Function, appName: string, selfName: string | undefined, modulePath: string | undefined, where: string): CapturedSource {
  let text: string;
  try {
    text = functionSource(fn, appName);
  } catch (error) {
    throw new AppDefinitionError(`${(error as Error).message}; define the app with a plain function or arrow function`, appName);
  }
  const { captured, rewritten } = analyzeSource(text);
  const inspection = inspectFunction(fn, captured);
  const result: CapturedSource = {
    source: rewritten, origin: inspection?.origin, bindings: [], values: [], sourceMap: modulePath && inspection?.origin ? sourceMapOf(modulePath) : undefined,
  };
  if (captured.length === 0) return result;
  const problems: Problem[] = [];
  if (modulePath === undefined) {
    problems.push(...captured.map((name) => ({ name, reason: 'comes from a scope that is not a script file' })));
  } else {
    new Capture(modulePath, result, problems, selfName).names(captured, inspection, fn);
  }
  if (problems.length > 0) {
    throw new AppDefinitionError(
      `app ${appName} ${where} cannot take along what it uses from its script: `
      + `${problems.map((p) => `'${p.name}' ${p.reason}`).join('; ')}. ${FIXES}`,
      appName, problems.map((p) => p.name),
    );
  }
  return result;
}

class Capture {
  readonly #declarations: Map<string, TopLevelDeclaration>;
  readonly #moduleUrl: string;
  readonly #seen = new Set<string>();

  constructor(modulePath: string, readonly result: CapturedSource, readonly problems: Problem[], selfName: string | undefined) {
    this.#declarations = moduleDeclarations(modulePath);
    this.#moduleUrl = pathToModuleUrl(modulePath);
    // The app's own variable: the worker binds the app's function to it.
    if (selfName !== undefined) this.#seen.add(selfName);
  }

  names(names: string[], inspection: FunctionInspection | undefined, owner: Function): void {
    for (const name of names) {
      if (this.#seen.has(name)) continue;
      this.#seen.add(name);
      this.#one(name, inspection, owner);
    }
  }

  #problem(name: string, reason: string): void {
    this.problems.push({ name, reason });
  }

  #one(name: string, inspection: FunctionInspection | undefined, owner: Function): void {
    const variable = inspection?.variables.get(name);
    const declaration = this.#declarations.get(name);
    if (variable?.scope === 'enclosing') {
      this.#problem(name, 'is a variable of an enclosing function or block; only the script\'s top-level imports, constants and functions go along');
      return;
    }
    if (declaration === undefined) {
      this.#problem(name, 'is not declared at the top level of the script');
      return;
    }
    if (declaration.kind === 'import') {
      const specifier = declaration.specifier!;
      this.result.bindings.push({ kind: 'import', name, specifier, url: resolveSpecifier(specifier, this.#moduleUrl), imported: declaration.imported! });
      return;
    }
    if (inspection === undefined) {
      this.#problem(name, 'cannot be read (this Node.js has no inspector)');
      return;
    }
    const value = variable?.value;
    if (declaration.kind === 'function' || declaration.kind === 'class') {
      this.#function(name, value);
      return;
    }
    if (declaration.kind !== 'const' && declaration.assignments.length > 0) {
      this.#problem(name, `is a \`${declaration.kind}\` the script assigns again (\`${declaration.assignments[0]}\`), so a worker would see only one of its values; make it a \`const\``);
      return;
    }
    if (typeof value === 'function') {
      if (declaration.init === 'function' || declaration.init === 'app-call') this.#function(name, value);
      else this.#problem(name, 'holds a function made at run time, not written in the script; write it as a function in the script or import it');
      return;
    }
    if (value === undefined && (declaration.init === 'function' || declaration.init === 'app-call')) {
      this.#problem(name, 'is defined further down the script than this app; define it before the app (or as a `function` declaration)');
      return;
    }
    this.#value(name, value, declaration, owner);
  }

  #function(name: string, value: unknown): void {
    const raw = (value as Record<symbol, unknown> | undefined)?.[APP_FUNCTION] ?? value;
    if (typeof raw !== 'function') {
      this.#problem(name, 'is not initialized yet where the app is defined; define it before the app');
      return;
    }
    let text: string;
    try {
      text = functionSource(raw, name);
    } catch {
      this.#problem(name, 'is a native or bound function, which has no source to send; import it instead');
      return;
    }
    const { captured, rewritten } = analyzeSource(text);
    const inspection = inspectFunction(raw, captured);
    this.names(captured, inspection, raw); // dependencies first
    const binding: CapturedBinding = { kind: 'function', name, source: rewritten };
    if (inspection?.origin) binding.origin = inspection.origin;
    this.result.bindings.push(binding);
  }

  #value(name: string, initial: unknown, declaration: TopLevelDeclaration, owner: Function): void {
    // A `const` declared further down is not initialized yet: read it at the first call.
    let pending = initial === undefined && declaration.init !== 'none';
    let current = initial;
    if (!pending && !this.#checkValue(name, current)) return;
    this.result.bindings.push({ kind: 'value', name, value: undefined });
    this.result.values.push({
      name,
      read: () => {
        if (pending) {
          pending = false;
          current = inspectFunction(owner, [name])?.variables.get(name)?.value;
        }
        return current;
      },
    });
  }

  #checkValue(name: string, value: unknown): boolean {
    try {
      canonicalEncoding(value);
      return true;
    } catch (error) {
      if (!(error instanceof Unhashable)) throw error;
      this.#problem(name, `holds ${error.reason}${error.path ? ` (at ${error.path})` : ''}, which cannot be sent to a worker `
        + '(only data that can be structured-cloned: numbers, strings, arrays, plain objects, Map, Set, Date, typed arrays)');
      return false;
    }
  }
}

/** The script's source map without the sources' text (a worker needs only the mappings). */
function sourceMapOf(modulePath: string): object | undefined {
  const payload = findSourceMap(modulePath)?.payload as Record<string, unknown> | undefined;
  if (payload === undefined) return undefined;
  const { sourcesContent: _text, ...mappings } = payload;
  return mappings;
}

/** Describes a captured value that cannot be sent (for errors at the call). */
export function checkCapturedValue(appName: string, name: string, value: unknown): string {
  try {
    return canonicalEncoding(value);
  } catch (error) {
    if (!(error instanceof Unhashable)) throw error;
    throw new AppDefinitionError(`app ${appName}: the constant '${name}' it uses now holds ${error.reason}${error.path ? ` (at ${error.path})` : ''}, which cannot be sent to a worker`, appName, [name]);
  }
}
