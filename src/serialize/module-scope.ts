/**
 * What a script declares at its top level, read from its source: imports (specifier and
 * imported name), functions, classes and variables, and which `let`/`var` it assigns again.
 * Apps shipped by source use it to decide how each name they capture reaches a worker.
 * TypeScript is compiled to JavaScript first (with the esbuild that tsx brings), since
 * only the declarations matter here, not the types.
 */
import { parse, type Node } from 'acorn';
import { simple } from 'acorn-walk';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isTypeScriptFile } from '../util/typescript-loader.js';

export type TopLevelKind = 'import' | 'function' | 'class' | 'const' | 'let' | 'var';

export interface TopLevelDeclaration {
  kind: TopLevelKind;
  /** Imports: the module specifier as written. */
  specifier?: string;
  /** Imports: `default`, `*` (namespace) or the exported name. */
  imported?: string;
  /** Variables: what initializes it. `app-call`: a call with a function argument (`app(…)`). */
  init?: 'none' | 'function' | 'app-call' | 'other';
  /** `let`/`var`: the assignments to it elsewhere in the script, as written (shortened). */
  assignments: string[];
}

interface AnyNode extends Node {
  [key: string]: unknown;
}

const cache = new Map<string, Map<string, TopLevelDeclaration>>();

/** The top-level declarations of the module at `path` (cached per path). */
export function moduleDeclarations(path: string): Map<string, TopLevelDeclaration> {
  let declarations = cache.get(path);
  if (declarations === undefined) {
    declarations = analyzeModule(javaScriptOf(path));
    cache.set(path, declarations);
  }
  return declarations;
}

function javaScriptOf(path: string): string {
  const text = readFileSync(path, 'utf8');
  if (!isTypeScriptFile(path)) return text;
  const esbuild = loadEsbuild();
  try {
    return esbuild.transformSync(text, { loader: /\.tsx$/.test(path) ? 'tsx' : 'ts', format: 'esm', target: 'esnext' }).code;
  } finally {
    // The synchronous API keeps a service thread and process: none may outlive the analysis.
    void esbuild.stop();
  }
}

interface Esbuild {
  transformSync(input: string, options: Record<string, unknown>): { code: string };
  stop(): Promise<void>;
}

function loadEsbuild(): Esbuild {
  // The esbuild tsx uses (a dependency of parsl-ts's tsx, not of parsl-ts itself).
  const fromTsx = createRequire(import.meta.resolve('tsx/esm/api'));
  return fromTsx(fromTsx.resolve('esbuild')) as Esbuild;
}

function parseProgram(source: string): AnyNode {
  const options = { ecmaVersion: 'latest', allowHashBang: true, allowAwaitOutsideFunction: true } as const;
  try {
    return parse(source, { ...options, sourceType: 'module' }) as unknown as AnyNode;
  } catch {
    return parse(source, { ...options, sourceType: 'script' }) as unknown as AnyNode;
  }
}

function initKind(init: AnyNode | null | undefined): TopLevelDeclaration['init'] {
  if (!init) return 'none';
  if (init.type === 'ArrowFunctionExpression' || init.type === 'FunctionExpression' || init.type === 'ClassExpression') return 'function';
  if (init.type === 'CallExpression') {
    const first = (init['arguments'] as AnyNode[])[0];
    if (first && (first.type === 'ArrowFunctionExpression' || first.type === 'FunctionExpression')) return 'app-call';
  }
  return 'other';
}

/** Names bound by a pattern (`a`, `{ a, b: [c] }`, `...rest`). */
function patternNames(pattern: AnyNode | null | undefined, into: string[] = []): string[] {
  if (!pattern) return into;
  switch (pattern.type) {
    case 'Identifier': into.push(pattern['name'] as string); break;
    case 'ObjectPattern':
      for (const property of pattern['properties'] as AnyNode[]) patternNames((property.type === 'RestElement' ? property['argument'] : property['value']) as AnyNode, into);
      break;
    case 'ArrayPattern': for (const element of pattern['elements'] as (AnyNode | null)[]) patternNames(element, into); break;
    case 'RestElement': patternNames(pattern['argument'] as AnyNode, into); break;
    case 'AssignmentPattern': patternNames(pattern['left'] as AnyNode, into); break;
    default: break;
  }
  return into;
}

function analyzeModule(source: string): Map<string, TopLevelDeclaration> {
  const program = parseProgram(source);
  const declarations = new Map<string, TopLevelDeclaration>();
  const declare = (name: string, declaration: Omit<TopLevelDeclaration, 'assignments'>) => {
    declarations.set(name, { ...declaration, assignments: [] });
  };
  for (let statement of program['body'] as AnyNode[]) {
    if ((statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration') && statement['declaration']) {
      statement = statement['declaration'] as AnyNode;
    }
    switch (statement.type) {
      case 'ImportDeclaration': {
        const specifier = (statement['source'] as AnyNode)['value'] as string;
        for (const part of statement['specifiers'] as AnyNode[]) {
          const local = (part['local'] as AnyNode)['name'] as string;
          const imported = part.type === 'ImportDefaultSpecifier' ? 'default'
            : part.type === 'ImportNamespaceSpecifier' ? '*'
              : (((part['imported'] as AnyNode)['name'] ?? (part['imported'] as AnyNode)['value']) as string);
          declare(local, { kind: 'import', specifier, imported });
        }
        break;
      }
      case 'FunctionDeclaration':
      case 'ClassDeclaration': {
        const id = statement['id'] as AnyNode | null;
        if (id) declare(id['name'] as string, { kind: statement.type === 'FunctionDeclaration' ? 'function' : 'class' });
        break;
      }
      case 'VariableDeclaration':
        for (const declarator of statement['declarations'] as AnyNode[]) {
          const init = declarator['init'] as AnyNode | null;
          const names = patternNames(declarator['id'] as AnyNode);
          // Destructured names are values whatever the initializer is.
          const kind = (declarator['id'] as AnyNode).type === 'Identifier' ? initKind(init) : 'other';
          for (const name of names) declare(name, { kind: statement['kind'] as TopLevelKind, init: kind });
        }
        break;
      default: break;
    }
  }
  // Assignments anywhere (conservatively ignoring shadowing): a `let` written again is not one value.
  const assigned = (names: string[], node: AnyNode) => {
    for (const name of names) {
      const declaration = declarations.get(name);
      if (declaration && (declaration.kind === 'let' || declaration.kind === 'var')) {
        const text = source.slice(node.start, node.end).replace(/\s+/g, ' ');
        declaration.assignments.push(text.length > 40 ? `${text.slice(0, 37)}...` : text);
      }
    }
  };
  const visitors = {
    AssignmentExpression(node: AnyNode) { assigned(patternNames(node['left'] as AnyNode), node); },
    UpdateExpression(node: AnyNode) { assigned(patternNames(node['argument'] as AnyNode), node); },
    ForInStatement(node: AnyNode) { forLeft(node); },
    ForOfStatement(node: AnyNode) { forLeft(node); },
  };
  simple(program as unknown as Node, visitors as unknown as Parameters<typeof simple>[1]);
  function forLeft(node: AnyNode): void {
    const left = node['left'] as AnyNode;
    if (left.type !== 'VariableDeclaration') assigned(patternNames(left), node);
  }
  return declarations;
}
