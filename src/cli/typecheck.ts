/**
 * `parsl-ts run --typecheck`: type-checks a workflow (and what it imports) before it runs,
 * with the TypeScript of the workflow's own project and its nearest tsconfig.json. parsl-ts
 * does not bring TypeScript: a project without it is told how to add it.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

export type TypecheckResult = { ok: true } | { ok: false; report: string; exitCode: number };

// The part of the TypeScript API used here (the package is the project's, not ours).
interface Diagnostic { category: number }
interface TypeScriptApi {
  version: string;
  sys: { fileExists(path: string): boolean; readFile(path: string): string | undefined; getCurrentDirectory(): string; newLine: string };
  findConfigFile(dir: string, exists: (path: string) => boolean, name?: string): string | undefined;
  readConfigFile(path: string, read: (path: string) => string | undefined): { config?: unknown; error?: Diagnostic };
  parseJsonConfigFileContent(json: unknown, host: unknown, basePath: string): { options: Record<string, unknown>; errors: Diagnostic[] };
  createProgram(roots: string[], options: Record<string, unknown>): unknown;
  getPreEmitDiagnostics(program: unknown): readonly Diagnostic[];
  formatDiagnostics(diagnostics: readonly Diagnostic[], host: unknown): string;
  formatDiagnosticsWithColorAndContext(diagnostics: readonly Diagnostic[], host: unknown): string;
  DiagnosticCategory: { Error: number };
  ModuleKind: { NodeNext: number };
  ModuleResolutionKind: { NodeNext: number };
  ScriptTarget: { ES2022: number };
}

/** The project's TypeScript, resolved from the workflow's directory; undefined if it has none. */
function projectTypeScript(workflow: string): TypeScriptApi | undefined {
  const require = createRequire(pathToFileURL(workflow));
  try {
    return require(require.resolve('typescript')) as TypeScriptApi;
  } catch {
    return undefined;
  }
}

export function typecheckWorkflow(workflow: string, colors = process.stderr.isTTY === true): TypecheckResult {
  const ts = projectTypeScript(workflow);
  if (ts === undefined) {
    return {
      ok: false, exitCode: 2,
      report: `parsl-ts run --typecheck: TypeScript is not installed in the project of ${workflow} `
        + '(parsl-ts does not bring it); add it with `npm install --save-dev typescript`, or run without --typecheck\n',
    };
  }
  const host = { getCurrentDirectory: () => ts.sys.getCurrentDirectory(), getCanonicalFileName: (f: string) => f, getNewLine: () => ts.sys.newLine };
  const configPath = ts.findConfigFile(dirname(workflow), (p) => ts.sys.fileExists(p), 'tsconfig.json');
  let options: Record<string, unknown> = {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, skipLibCheck: true,
  };
  let configErrors: readonly Diagnostic[] = [];
  if (configPath !== undefined) {
    const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
    const parsed = ts.parseJsonConfigFileContent(read.config ?? {}, ts.sys, dirname(configPath));
    options = parsed.options;
    configErrors = read.error ? [read.error] : parsed.errors;
  }
  // Only the workflow and what it imports, whatever else the tsconfig includes.
  const program = ts.createProgram([workflow], { ...options, noEmit: true });
  const diagnostics = [...configErrors, ...ts.getPreEmitDiagnostics(program)];
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length === 0) return { ok: true };
  const details = colors ? ts.formatDiagnosticsWithColorAndContext(diagnostics, host) : ts.formatDiagnostics(diagnostics, host);
  return {
    ok: false, exitCode: 1,
    report: `${details}\nparsl-ts run --typecheck: ${errors.length} type error${errors.length === 1 ? '' : 's'} `
      + `(TypeScript ${ts.version}${configPath ? `, ${configPath}` : ', no tsconfig.json found: strict NodeNext defaults'}); the workflow was not run\n`,
  };
}
