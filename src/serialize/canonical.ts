/**
 * A canonical encoding of plain data: equal values give equal strings in any process.
 * Plain-object keys are sorted, Map and Set entries are sorted by their own encoding, Files
 * count by URL. Values without a stable encoding (functions, symbols, class instances,
 * cycles) throw `Unhashable` with the reason and where in the value it was found. Used by
 * the app cache key and to check (and compare) values an app captures from its script.
 */
import { isPlainObject } from '../apps/keywords.js';
import { File } from '../data/file.js';

/** Containers nested deeper than this are refused rather than walked (cycle guard backup). */
const MAX_DEPTH = 256;

export class Unhashable extends Error {
  constructor(readonly reason: string, readonly path: string) {
    super(reason);
  }
}

/** Appends the canonical encoding of `value` to `out` (an array of string pieces). */
export function encode(value: unknown, out: string[], seen: Set<object>, path: string, depth: number): void {
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

/** The canonical encoding of `value` as one string; throws Unhashable. */
export function canonicalEncoding(value: unknown): string {
  const out: string[] = [];
  encode(value, out, new Set(), '', 0);
  return out.join('');
}
