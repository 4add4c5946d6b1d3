#!/usr/bin/env node
// The parsl-ts command. Registers tsx so that workflows and parsl-ts itself run as
// TypeScript with no build step, then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
