// Module hooks (node:module register) for parsl-ts processes and worker threads: TypeScript
// files outside node_modules load as ES modules even where no package.json says
// "type": "module" (a workflow in a bare folder, or under `npm init`'s "commonjs"), so that
// top-level await and `import 'parsl-ts'` work there. .cts files stay CommonJS.
const TS_SOURCE = /\.(ts|tsx|mts)$/;

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (result.url.startsWith('file:') && !result.url.includes('/node_modules/')) {
    const path = result.url.split(/[?#]/)[0];
    if (TS_SOURCE.test(path)) return { ...result, format: 'module' };
  }
  return result;
}
