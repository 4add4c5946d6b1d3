// TypeScript for user code, with no build step: tsx's loader plus parsl-ts's format hook
// (esm-hooks.js). parsl-ts itself is compiled JavaScript and never needs it; it is
// registered only where user TypeScript must run (a .ts workflow or config on the driver, a
// .ts module imported on a worker). Plain JavaScript, so that a source checkout can load it
// before any loader exists.
import { readdirSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { MessageChannel, isMainThread } from 'node:worker_threads';

const TYPESCRIPT_PATH = /\.(ts|tsx|mts|cts)$/;

/** @type {Promise<void> | undefined} */
let registered;
/** @type {import('node:worker_threads').MessagePort | undefined} */
let hooksPort;

/**
 * Whether a path or file URL names a TypeScript file.
 * @param {string} pathOrUrl
 * @returns {boolean}
 */
export function isTypeScriptFile(pathOrUrl) {
  return TYPESCRIPT_PATH.test(pathOrUrl.split(/[?#]/)[0] ?? '');
}

function startedWithTsx() {
  return /(^|[\s=/])tsx(\/|\s|$)/.test(`${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`);
}

/**
 * Whether this thread has the TypeScript loader (registered here or by `--import tsx`).
 * @returns {boolean}
 */
export function typeScriptLoaderRegistered() {
  return registered !== undefined;
}

/**
 * Registers the TypeScript loader in this thread, once.
 * @returns {Promise<void>}
 */
export function registerTypeScript() {
  registered ??= (async () => {
    // Started as `node --import tsx …`: tsx is there already (worker threads do not inherit it).
    if (!(isMainThread && startedWithTsx())) {
      const { register: registerTsx } = await import('tsx/esm/api');
      registerTsx();
    }
    const { port1, port2 } = new MessageChannel();
    register('./esm-hooks.js', {
      parentURL: import.meta.url,
      data: { control: port2, tsxUrl: import.meta.resolve('tsx/esm/api') },
      transferList: [port2],
    });
    port1.unref();
    hooksPort = port1;
  })();
  return registered;
}

/**
 * Stops the esbuild service process that tsx starts for the loader (a child process of this
 * one), so that nothing is left running after `cleanup()`. A later TypeScript import
 * starts a new one. No-op when the loader was not registered here.
 * @returns {Promise<void>}
 */
export async function stopTypeScriptService() {
  const port = hooksPort;
  if (port === undefined) return;
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    port.once('message', () => { clearTimeout(timer); resolve(undefined); });
    port.ref();
    port.postMessage('stop-service');
  });
  port.unref();
  // esbuild's stop() signals the process and returns at once: wait until it has exited.
  for (let waited = 0; waited < 2000 && esbuildChildren().length > 0; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Pids of this process's esbuild children (none where there is no /proc).
 * @returns {number[]}
 */
function esbuildChildren() {
  /** @type {number[]} */
  const pids = [];
  let entries;
  try { entries = readdirSync('/proc'); } catch { return pids; }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (stat.includes('(esbuild)') && fields[0] !== 'Z' && Number(fields[1]) === process.pid) pids.push(Number(entry));
    } catch { /* ended while we looked */ }
  }
  return pids;
}
