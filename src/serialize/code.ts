/**
 * How an app's code reaches a worker (DESIGN §3), driver side: turn a function into
 * shippable source, find the names it captures from its scope, rewrite `import()` so that
 * bare specifiers resolve against the defining module, and find where an app was defined.
 */
import { parse, type Node } from 'acorn';
import { simple } from 'acorn-walk';
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where a shipped function's text starts in its module as the runtime compiled it (0-based). */
export interface SourceOrigin {
  line: number;
  column: number;
}

/**
 * A name an app shipped by source uses from its script, and how the worker gets it: an
 * import of the same module, a value (structured clone of it at the call), or a function
 * (or class, or another app's function) shipped by source itself.
 */
export type CapturedBinding =
  | { kind: 'import'; name: string; specifier: string; url: string | undefined; imported: string }
  | { kind: 'value'; name: string; value: unknown }
  | { kind: 'function'; name: string; source: string; origin?: SourceOrigin };

/** What a worker needs to get the function: its source, or a module export to import. */
export type CodeSpec =
  | {
    id: string; kind: 'source'; name: string; source: string; moduleUrl?: string;
    /** What the source uses from its script, in the order the worker must define it. */
    bindings?: CapturedBinding[];
    /** The script's variable the app is assigned to: the worker binds the function to it. */
    bindAs?: string;
    origin?: SourceOrigin;
    /** The defining module's source map (without sources' text): stack frames point at the user's file. */
    sourceMap?: object;
  }
  | { id: string; kind: 'reference'; name: string; moduleUrl: string; exportName: string };

/** Identifiers a shipped function may use without capturing: the worker provides them. */
const WORKER_PROVIDED = new Set(['arguments', 'undefined', '__name', '__parsl_import']);

/** Returns `fn` as an expression that evaluates to the function. */
export function functionSource(fn: Function, appName: string): string {
  const text = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(text)) {
    throw new Error(`app ${appName}: a native or bound function has no source to ship`);
  }
  const candidates = [text];
  // Method shorthand (`name(a) {…}`, `async name(a) {…}`, `*gen() {…}`) is not an expression.
  const asyncMethod = /^async\s+(\*?\s*[\w$]+\s*\()/.exec(text);
  if (asyncMethod) candidates.push(`async function ${text.slice(text.indexOf(asyncMethod[1]!))}`);
  else if (/^\*?\s*[\w$]+\s*\(/.test(text)) candidates.push(`function ${text}`);
  for (const source of candidates) {
    try {
      parseExpression(source);
      return source;
    } catch { /* try the next form */ }
  }
  throw new Error(`app ${appName}: cannot parse the function's source`);
}

function parseExpression(source: string): Node {
  return parse(`(${source})`, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true });
}

export interface SourceAnalysis {
  /** Names used but neither declared inside the function nor globals. */
  captured: string[];
  /** The source with `import(x)` rewritten to `__parsl_import(x)`. */
  rewritten: string;
}

/** Finds captured names and rewrites dynamic imports in a function expression's source. */
export function analyzeSource(source: string): SourceAnalysis {
  const ast = parseExpression(source);
  const declared = new Set<string>();
  const referenced = new Set<string>();
  const importStarts: number[] = [];
  // acorn-walk reports binding identifiers under the pseudo-type `VariablePattern`.
  const visitors = {
    VariablePattern(node: Node) { declared.add((node as unknown as { name: string }).name); },
    Identifier(node: Node) { referenced.add((node as unknown as { name: string }).name); },
    ImportExpression(node: Node) { importStarts.push(node.start - 1); }, // -1: the added '('
  };
  simple(ast, visitors as Parameters<typeof simple>[1]);
  // Class and function names are bindings too, even where the walker does not report them.
  simple(ast, {
    Class(node) { const id = (node as unknown as { id?: { name: string } }).id; if (id) declared.add(id.name); },
    Function(node) { const id = (node as unknown as { id?: { name: string } }).id; if (id) declared.add(id.name); },
  });
  const captured = [...referenced].filter(
    (name) => !declared.has(name) && !WORKER_PROVIDED.has(name) && !(name in globalThis),
  ).sort();
  let rewritten = source;
  for (const start of importStarts.sort((a, b) => b - a)) {
    rewritten = `${rewritten.slice(0, start)}__parsl_import${rewritten.slice(start + 'import'.length)}`;
  }
  return { captured, rewritten };
}

const STATE_KEY = Symbol.for('parsl-ts.entry-script');

/** Sets the entry script explicitly (the CLI does, since argv[1] is then the CLI itself). */
export function setEntryScript(path: string | undefined): void {
  (globalThis as Record<symbol, unknown>)[STATE_KEY] = path === undefined ? undefined : realpathOrSelf(path);
}

/** The realpath of the entry script, or undefined (REPL, `-e`). */
export function entryScript(): string | undefined {
  const g = globalThis as Record<symbol, unknown>;
  if (STATE_KEY in g) return g[STATE_KEY] as string | undefined;
  const argv1 = process.argv[1];
  const entry = argv1 === undefined ? undefined : realpathOrSelf(argv1);
  g[STATE_KEY] = entry;
  return entry;
}

function realpathOrSelf(path: string): string {
  try { return realpathSync(path); } catch { return path; }
}

// parsl-ts's own frames: its sources and its compiled dist/ (whose source maps may point at src/).
const OWN_DIRS = [fileURLToPath(new URL('../../src/', import.meta.url)), fileURLToPath(new URL('../../dist/', import.meta.url))];
const FRAME_LOCATION = /(?:\(|at\s)((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?\s*$/;

export interface CallerLocation {
  /** Real path of the file. */
  path: string;
  /** 1-based, as in stack traces (of the original source where source maps are on). */
  line: number;
  column: number;
}

/** The first stack frame outside parsl-ts itself: where `app()` was called. */
export function callerLocation(): CallerLocation | undefined {
  const stack = new Error().stack ?? '';
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME_LOCATION.exec(line);
    if (!match) continue;
    let location = match[1]!;
    if (location.startsWith('file://')) location = fileURLToPath(location);
    if (OWN_DIRS.some((dir) => location.startsWith(dir)) || location.startsWith('node:')) continue;
    return { path: realpathOrSelf(location), line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** File path of the first stack frame outside parsl-ts itself. */
export function callerPath(): string | undefined {
  return callerLocation()?.path;
}

export function pathToModuleUrl(path: string): string {
  return pathToFileURL(path).href;
}
