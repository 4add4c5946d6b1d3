/**
 * Where `load()` finds a config when it is given none: the `--config` file of
 * `parsl-ts run`, else `parsl.config.ts` / `.js` / `.mjs` in the working directory.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError } from '../errors.js';
import type { Config } from './config.js';
import { isTypeScriptFile, registerTypeScript } from '../util/typescript-loader.js';

/** Set by `parsl-ts run --config FILE`. */
export const CONFIG_ENV = 'PARSL_TS_CONFIG';
/** Set by `parsl-ts run --resume`: `load` then reuses the checkpoints of earlier runs. */
export const RESUME_ENV = 'PARSL_TS_RESUME';
const CONFIG_FILES = ['parsl.config.ts', 'parsl.config.mts', 'parsl.config.js', 'parsl.config.mjs'];

/** The config file to use, or undefined when none is named or present. */
export function findConfigFile(cwd = process.cwd()): string | undefined {
  const named = process.env[CONFIG_ENV];
  if (named) {
    const path = resolve(cwd, named);
    if (!existsSync(path)) throw new ConfigurationError(`config file ${path} (from --config) does not exist`, 'config');
    return path;
  }
  return CONFIG_FILES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

/** Imports a config file: its default export, or an export named `config`. */
export async function importConfigFile(path: string): Promise<Config> {
  let namespace: Record<string, unknown>;
  try {
    if (isTypeScriptFile(path)) await registerTypeScript();
    namespace = await import(pathToFileURL(path).href) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigurationError(`cannot load config file ${path}: ${(error as Error).message}`, 'config');
  }
  let config = namespace['default'] ?? namespace['config'];
  if (typeof config === 'function') config = await (config as () => unknown)();
  if (typeof config !== 'object' || config === null) {
    throw new ConfigurationError(`config file ${path} must export a config as default (export default defineConfig({...}))`, 'config');
  }
  return config as Config;
}
