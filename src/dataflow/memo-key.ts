/**
 * The app cache key: a sha256 of a canonical encoding of the app's identity (its code) and
 * of its resolved arguments. Canonical means equal calls give equal bytes in any process:
 * plain-object keys are sorted, Map and Set entries are sorted by their own encoding, Files
 * count by URL (so `outputs` count by path). Values without a stable encoding (functions,
 * symbols, class instances, cycles) are refused with an error naming the argument.
 */
import { createHash, type Hash } from 'node:crypto';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppDefinition } from '../apps/app.js';
import { isPlainObject } from '../apps/keywords.js';
import { UnhashableArgumentError } from '../errors.js';
import { canonicalEncoding, encode, Unhashable } from '../serialize/canonical.js';
import type { CodeSpec } from '../serialize/code.js';

/**
 * The code identity of an app: its kind and the source text of its function (as the
 * runtime sees it, TypeScript compiled away), plus, for an app exported from a module, the
 * module path (relative to the working directory) and export name. Stable across driver
 * processes started from the same directory; any edit of the function changes it.
 */
export function codeIdentity(definition: AppDefinition, code: CodeSpec | undefined): string {
  // Join apps run on the driver: their own source identifies them.
  if (code === undefined) return `join:${Function.prototype.toString.call(definition.fn)}`;
  if (code.kind === 'reference') {
    // The module and export say where the code is; the source says what it is.
    return `${definition.kind}:ref:${where(code.moduleUrl)}#${code.exportName}:${Function.prototype.toString.call(definition.fn)}`;
  }
  // What the source takes along from its script counts too: imports by specifier and the
  // module they resolve to, values as they were at the call, helper functions by source.
  const captured = (code.bindings ?? []).map((b) => (b.kind === 'import' ? ['import', b.name, b.specifier, where(b.url ?? ''), b.imported]
    : b.kind === 'value' ? ['value', b.name, b.value] : ['function', b.name, b.source]));
  return `${definition.kind}:src:${code.source}${captured.length > 0 ? `:captures:${canonicalEncoding(captured)}` : ''}`;
}

/** A module URL as a path relative to the working directory (stable across checkouts). */
function where(url: string): string {
  return url.startsWith('file:') ? relative(process.cwd(), fileURLToPath(url)).split('\\').join('/') : url;
}

/**
 * The cache key of a call: sha256 over the code identity and the resolved arguments,
 * without the keyword-object keys named in `ignoreForCache`. Throws UnhashableArgumentError.
 */
export function cacheKey(definition: AppDefinition, identity: string, args: readonly unknown[]): string {
  const out: string[] = [`${definition.name.length}:${definition.name}|${identity.length}:${identity}|${args.length}(`];
  const seen = new Set<object>();
  const last = args.length - 1;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    try {
      if (i === last && isPlainObject(arg) && definition.ignoreForCache.length > 0) {
        const kept: Record<string, unknown> = {};
        for (const key of Object.keys(arg)) if (!definition.ignoreForCache.includes(key)) kept[key] = arg[key];
        encode(kept, out, seen, '', 0);
      } else {
        encode(arg, out, seen, '', 0);
      }
    } catch (error) {
      if (!(error instanceof Unhashable)) throw error;
      throw new UnhashableArgumentError(definition.name, describeArgument(i, last, arg, error.path), error.reason);
    }
  }
  out.push(')');
  const hash: Hash = createHash('sha256');
  for (const piece of out) hash.update(piece);
  return hash.digest('hex');
}

function describeArgument(index: number, last: number, arg: unknown, path: string): string {
  if (index === last && isPlainObject(arg) && path.startsWith('.')) {
    const key = path.slice(1).split(/[.[<]/)[0]!;
    const rest = path.slice(1 + key.length);
    return `keyword '${key}'${rest ? ` (at ${rest})` : ''}`;
  }
  return `argument ${index + 1}${path ? ` (at ${path})` : ''}`;
}
