#!/usr/bin/env node
// The parsl-ts command: the compiled CLI in dist/. In a source checkout run with
// `--conditions=development` (tests, benches), the TypeScript sources, with the TypeScript
// loader registered first.
const cli = import.meta.resolve('#cli');
if (cli.endsWith('.ts')) {
  const { registerTypeScript } = await import('#typescript-loader');
  await registerTypeScript();
}
const { main } = await import(cli);
await main(process.argv);
