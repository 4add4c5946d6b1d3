/**
 * Which Files a task may name. Staging providers (http, ftp, rsync, …) do not exist yet, so
 * only local files can be used; a task naming any other File fails before it runs.
 */
import { StagingError } from '../errors.js';
import { File } from './file.js';

/** Schemes a staging provider handles: local files need none. */
const STAGED_SCHEMES: ReadonlySet<string> = new Set(['file']);
/** As deep as the DFK looks for futures. */
const MAX_DEPTH = 64;

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function findUnstaged(value: unknown, depth: number): File | undefined {
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return undefined;
  if (value instanceof File) return STAGED_SCHEMES.has(value.scheme) ? undefined : value;
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (isPlain(value)) items = Object.values(value);
  else return undefined;
  for (const item of items) {
    const found = findUnstaged(item, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Throws StagingError naming the first File in `args` that no staging provider handles. */
export function checkStaging(appName: string, taskId: number, args: readonly unknown[]): void {
  const file = findUnstaged(args, 0);
  if (file === undefined) return;
  throw new StagingError(file.url, file.scheme,
    `app ${appName} (task ${taskId}) names it, but no staging provider handles the '${file.scheme}' scheme in this version `
    + 'of parsl-ts (only local paths and file:// URLs). Fetch the file first (for example in a bash app with curl) and pass its local path');
}
