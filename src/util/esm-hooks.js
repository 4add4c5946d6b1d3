// Module hooks (node:module register), registered with tsx by typescript-loader.js:
// - TypeScript files outside node_modules load as ES modules even where no package.json says
//   "type": "module" (a workflow in a bare folder, or under `npm init`'s "commonjs"), so that
//   top-level await and `import 'parsl-ts'` work there. .cts files stay CommonJS.
// - On request, stop tsx's esbuild service (it lives in this loader thread).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const TS_SOURCE = /\.(ts|tsx|mts)$/;

/** @param {{ control?: import('node:worker_threads').MessagePort, tsxUrl?: string } | undefined} data */
export function initialize(data) {
  const port = data?.control;
  if (port === undefined || data?.tsxUrl === undefined) return;
  const tsxUrl = data.tsxUrl;
  port.on('message', async () => {
    try {
      // The esbuild that tsx imports, resolved from tsx's own location: the same module instance.
      const esbuildPath = createRequire(tsxUrl).resolve('esbuild');
      const esbuild = await import(pathToFileURL(esbuildPath).href);
      await esbuild.stop();
    } catch {
      // Nothing to stop.
    }
    port.postMessage('stopped');
  });
  port.unref();
}

/**
 * @param {string} specifier
 * @param {object} context
 * @param {(specifier: string, context: object) => Promise<{ url: string, format?: string }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (result.url.startsWith('file:') && !result.url.includes('/node_modules/')) {
    const path = result.url.split(/[?#]/)[0] ?? '';
    if (TS_SOURCE.test(path)) return { ...result, format: 'module' };
  }
  return result;
}
