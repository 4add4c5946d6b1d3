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
import { File } from '../data/file.js';
import { UnhashableArgumentError } from '../errors.js';
import type { CodeSpec } from '../serialize/code.js';

/** Containers nested deeper than this are refused rather than walked (cycle guard backup). */
const MAX_DEPTH = 256;

class Unhashable extends Error {
  constructor(readonly reason: string, readonly path: string) {
    super(reason);
  }
}

/** Appends the canonical encoding of `value` to `out` (an array of string pieces). */
function encode(value: unknown, out: string[], seen: Set<object>, path: string, depth: number): void {
  switch (typeof value) {
    case 'undefined': out.push('u;'); return;
    case 'boolean': out.push(value ? 't;' : 'f;'); return;
    case 'number': out.push(Object.is(value, -0) ? 'n-0;' : `n${value};`); return;
    case 'bigint': out.push(`I${value};`); return;
    case 'string': out.push(`s${value.length}:`, value); return;
    case 'function': throw new Unhashable('a function', path);
    case 'symbol': throw new Unhashable(`a symbol (${String(value)})`, path);
    default: break;
  }
  if (value === null) { out.push('z;'); return; }
  const object = value as object;
  if (seen.has(object)) throw new Unhashable('a cyclic structure', path);
  if (depth >= MAX_DEPTH) throw new Unhashable(`a structure nested deeper than ${MAX_DEPTH}`, path);
  seen.add(object);
  try {
    encodeObject(object, out, seen, path, depth + 1);
  } finally {
    seen.delete(object);
  }
}

/** The encoding of one value as a string (for sorting Map and Set entries). */
function encodeAlone(value: unknown, seen: Set<object>, path: string, depth: number): string {
  const parts: string[] = [];
  encode(value, parts, seen, path, depth);
  return parts.join('');
}

function encodeObject(object: object, out: string[], seen: Set<object>, path: string, depth: number): void {
  if (Array.isArray(object)) {
    out.push(`a${object.length}[`);
    for (let i = 0; i < object.length; i++) encode(object[i], out, seen, `${path}[${i}]`, depth);
    out.push(']');
    return;
  }
  if (object instanceof File || File.isClonedFile(object)) {
    const url = (object as { url: string }).url;
    out.push(`F${url.length}:`, url);
    return;
  }
  if (isPlainObject(object)) {
    const keys = Object.keys(object).sort();
    out.push(`o${keys.length}{`);
    for (const key of keys) {
      out.push(`${key.length}:`, key);
      encode((object as Record<string, unknown>)[key], out, seen, `${path}.${key}`, depth);
    }
    out.push('}');
    return;
  }
  if (ArrayBuffer.isView(object)) {
    // Buffer is a Uint8Array with extras; both arrive on a worker as Uint8Array.
    const kind = object instanceof DataView ? 'DataView' : object instanceof Uint8Array ? 'Uint8Array' : object.constructor.name;
    const bytes = Buffer.from(object.buffer, object.byteOffset, object.byteLength);
    out.push(`T${kind}:${bytes.toString('base64')};`);
    return;
  }
  if (object instanceof ArrayBuffer) {
    out.push(`B${Buffer.from(object).toString('base64')};`);
    return;
  }
  if (object instanceof Date) { out.push(`D${object.getTime()};`); return; }
  if (object instanceof RegExp) { out.push(`R${object.source.length}:${object.source}/${object.flags};`); return; }
  if (object instanceof Map) {
    const entries = [...object].map(([k, v], i) => `${encodeAlone(k, seen, `${path}<key ${i}>`, depth)}=${encodeAlone(v, seen, `${path}<value ${i}>`, depth)}`).sort();
    out.push(`M${entries.length}{`, ...entries, '}');
    return;
  }
  if (object instanceof Set) {
    const items = [...object].map((v, i) => encodeAlone(v, seen, `${path}<item ${i}>`, depth)).sort();
    out.push(`S${items.length}{`, ...items, '}');
    return;
  }
  const name = (Object.getPrototypeOf(object) as { constructor?: { name?: string } } | null)?.constructor?.name;
  throw new Unhashable(`an instance of class ${name || '(anonymous)'}`, path);
}

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
    let where = code.moduleUrl;
    if (where.startsWith('file:')) where = relative(process.cwd(), fileURLToPath(where)).split('\\').join('/');
    // The module and export say where the code is; the source says what it is.
    return `${definition.kind}:ref:${where}#${code.exportName}:${Function.prototype.toString.call(definition.fn)}`;
  }
  return `${definition.kind}:src:${code.source}`;
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
