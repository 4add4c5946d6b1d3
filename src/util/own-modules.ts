/**
 * How parsl-ts starts its own modules in a new worker thread or process. The published
 * package runs them as compiled JavaScript; a source checkout (tests, benches, examples run
 * by contributors) runs the TypeScript sources through source-entry.js, which registers the
 * TypeScript loader first.
 */
import { fileURLToPath } from 'node:url';

/** True when parsl-ts runs from its TypeScript sources rather than from `dist/`. */
export const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

const SOURCE_ENTRY = new URL('./source-entry.js', import.meta.url);
const SOURCE_MODULE_KEY = 'parsl-ts.source-module';

/** The URL of a parsl-ts module given by its compiled name (`./worker.js`) relative to `base`. */
export function ownModuleUrl(relativeJs: string, base: string): URL {
  return new URL(RUNNING_FROM_SOURCE ? relativeJs.replace(/\.js$/, '.ts') : relativeJs, base);
}

/** Node arguments that run the module as a process's main script. */
export function processArgsFor(moduleUrl: URL): string[] {
  return RUNNING_FROM_SOURCE ? [fileURLToPath(SOURCE_ENTRY), moduleUrl.href] : [fileURLToPath(moduleUrl)];
}

/** The script and workerData that start the module in a worker thread. */
export function threadEntryFor(moduleUrl: URL): { script: URL; workerData: Record<string, string> | undefined } {
  return RUNNING_FROM_SOURCE
    ? { script: SOURCE_ENTRY, workerData: { [SOURCE_MODULE_KEY]: moduleUrl.href } }
    : { script: moduleUrl, workerData: undefined };
}

/** Node flags that make a child `parsl-ts` command run the same code as this process. */
export function cliNodeFlags(): string[] {
  return RUNNING_FROM_SOURCE ? ['--conditions=development'] : [];
}
