/** Each run gets its own numbered directory: `runinfo/000`, `runinfo/001`, … */
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Numbered run directories under `base`, oldest first. */
export function listRunDirs(base: string): string[] {
  let names: string[];
  try { names = readdirSync(base); } catch { return []; }
  return names.filter((n) => /^\d{3,}$/.test(n)).sort((a, b) => Number(a) - Number(b)).map((n) => join(resolve(base), n));
}

/** Creates the next run directory; safe against another driver creating one at once. */
export function makeRunDir(base: string): string {
  mkdirSync(base, { recursive: true });
  const existing = listRunDirs(base);
  let next = existing.length === 0 ? 0 : Number(existing[existing.length - 1]!.split(/[\\/]/).pop()) + 1;
  for (;;) {
    const dir = join(resolve(base), String(next).padStart(3, '0'));
    try {
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      next++;
    }
  }
}
