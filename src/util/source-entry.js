// Source checkouts only (contributors, tests, benches): starts one of parsl-ts's own
// TypeScript modules in a new process or thread by registering the TypeScript loader
// first. The published package runs compiled JavaScript and does not ship this file.
// Process: `node source-entry.js <module URL>`; thread: workerData[SOURCE_MODULE_KEY].
import { isMainThread, workerData } from 'node:worker_threads';
import { registerTypeScript } from './typescript-loader.js';

const target = isMainThread ? process.argv[2] : workerData?.['parsl-ts.source-module'];
if (typeof target !== 'string') throw new Error('source-entry.js: no module to start');
if (isMainThread) process.argv.splice(2, 1);
await registerTypeScript();
await import(target);
