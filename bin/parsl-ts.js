#!/usr/bin/env node
// The parsl-ts command. Registers the TypeScript loaders so that workflows and parsl-ts
// itself run with no build step, then hands over to the CLI.
import { registerLoaders } from '../src/util/register-loaders.js';

registerLoaders();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
