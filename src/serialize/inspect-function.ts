/**
 * Reads, through the in-process inspector, what only the engine knows about a function:
 * where its text starts in its compiled script, and the current values of the variables it
 * uses from its scopes (a script's constants are not reachable from outside otherwise).
 * The inspector session is synchronous in the calling thread and lives only for one call.
 */
import { Session } from 'node:inspector';
import type { SourceOrigin } from './code.js';

export interface ScopeVariable {
  /** `module`: the script's top level; `enclosing`: a function or block around the function. */
  scope: 'module' | 'enclosing';
  /** Its value now (`undefined` also while a `const` is not initialized yet). */
  value: unknown;
}

export interface FunctionInspection {
  origin: SourceOrigin | undefined;
  variables: Map<string, ScopeVariable>;
}

interface RemoteObject { type: string; value?: unknown; unserializableValue?: string; objectId?: string; description?: string }
interface PropertyDescriptor { name: string; value?: RemoteObject }
interface Properties { result: PropertyDescriptor[]; internalProperties?: PropertyDescriptor[] }

/** Where values cross from the inspector back into JavaScript, for an instant. */
const SLOT = '__parslTsInspected';

class SyncSession {
  readonly #session = new Session();

  constructor() {
    this.#session.connect();
  }

  post<T>(method: string, params: object): T {
    let result: unknown;
    let failure: Error | null = null;
    // An in-thread session answers synchronously.
    this.#session.post(method, params, (error: Error | null, answer?: object) => { failure = error; result = answer; });
    if (failure) throw failure;
    return result as T;
  }

  /** The JavaScript value a remote object stands for. */
  valueOf(remote: RemoteObject): unknown {
    if (remote.objectId !== undefined) {
      const slot = globalThis as Record<string, unknown>;
      this.post('Runtime.callFunctionOn', { objectId: remote.objectId, functionDeclaration: `function () { 'use strict'; globalThis.${SLOT} = this; }` });
      const value = slot[SLOT];
      delete slot[SLOT];
      return value;
    }
    const text = remote.unserializableValue;
    if (text !== undefined) return text.endsWith('n') ? BigInt(text.slice(0, -1)) : Number(text);
    return remote.value;
  }

  disconnect(): void {
    this.#session.disconnect();
  }
}

/**
 * Where `fn` starts in its script and the values of `names` in its scopes (nearest scope
 * first; names not found are absent). Undefined when the inspector is not available.
 */
export function inspectFunction(fn: Function, names: readonly string[]): FunctionInspection | undefined {
  let session: SyncSession;
  try {
    session = new SyncSession();
  } catch {
    return undefined; // a Node.js built without the inspector
  }
  const slot = globalThis as Record<string, unknown>;
  try {
    slot[SLOT] = fn;
    const { result } = session.post<{ result: RemoteObject }>('Runtime.evaluate', { expression: `globalThis.${SLOT}` });
    delete slot[SLOT];
    const own = session.post<Properties>('Runtime.getProperties', { objectId: result.objectId, ownProperties: true });
    const internal = own.internalProperties ?? [];
    const location = internal.find((p) => p.name === '[[FunctionLocation]]')?.value?.value as { lineNumber: number; columnNumber: number } | undefined;
    const variables = new Map<string, ScopeVariable>();
    const scopes = internal.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
    if (scopes !== undefined && names.length > 0) {
      const wanted = new Set(names);
      for (const scope of session.post<Properties>('Runtime.getProperties', { objectId: scopes, ownProperties: true }).result) {
        const kind = scope.value?.description ?? '';
        if (kind === 'Global' || scope.value?.objectId === undefined) continue;
        const vars = session.post<Properties>('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true }).result;
        for (const variable of vars) {
          if (!wanted.has(variable.name) || variables.has(variable.name) || variable.value === undefined) continue;
          variables.set(variable.name, { scope: kind === 'Module' ? 'module' : 'enclosing', value: session.valueOf(variable.value) });
        }
      }
    }
    return { origin: location && { line: location.lineNumber, column: location.columnNumber }, variables };
  } catch {
    return undefined;
  } finally {
    delete slot[SLOT];
    session.disconnect();
  }
}
