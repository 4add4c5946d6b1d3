/** `parsl-ts run <workflow>`: runs a workflow file (TypeScript or JavaScript, no build step). */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONFIG_ENV, RESUME_ENV } from '../config/load-config.js';
import { ProgressReporter } from './progress.js';
import { isTypeScriptFile, registerTypeScript } from '../util/typescript-loader.js';


export function runCommand(): Command {
  return new Command('run')
    .description('run a workflow file (.ts, .mts, .js, .mjs) with a progress display')
    .argument('<workflow>', 'the workflow file')
    .argument('[args...]', 'arguments for the workflow (process.argv.slice(2)); put them after `--`')
    .option('-c, --config <file>', 'config file used by load() when it is called without a config')
    .option('--resume', 'reuse the checkpoints of earlier runs in the run dir')
    .option('--no-progress', 'do not show progress')
    .action(async (workflow: string, args: string[], options: { config?: string; resume?: boolean; progress: boolean }) => {
      const path = resolve(workflow);
      if (!existsSync(path)) {
        process.stderr.write(`parsl-ts run: workflow file ${path} does not exist\n`);
        process.exitCode = 2;
        return;
      }
      if (options.config) {
        const configPath = resolve(options.config);
        if (!existsSync(configPath)) {
          process.stderr.write(`parsl-ts run: --config file ${configPath} does not exist\n`);
          process.exitCode = 2;
          return;
        }
        process.env[CONFIG_ENV] = configPath;
      }
      // User TypeScript needs a loader; parsl-ts itself is JavaScript.
      if (isTypeScriptFile(path)) await registerTypeScript();
      if (options.resume) process.env[RESUME_ENV] = '1';
      // Imported here, not at the top: other commands (worker-pool) stay lean.
      const { maybeCurrentDfk, onDfkLoaded } = await import('../dataflow/load.js');
      const { setEntryScript } = await import('../serialize/code.js');
      setEntryScript(path);
      process.argv = [process.argv[0]!, path, ...args];
      const progress = options.progress ? new ProgressReporter() : undefined;
      const detach = progress ? onDfkLoaded((dfk) => progress.attach(dfk)) : undefined;
      try {
        await import(pathToFileURL(path).href);
        await maybeCurrentDfk()?.cleanup();
      } catch (error) {
        progress?.stop();
        process.stderr.write(`parsl-ts run: workflow ${workflow} failed: ${(error as Error).stack ?? String(error)}\n`);
        await maybeCurrentDfk()?.cleanup().catch(() => {});
        process.exitCode = 1;
        return;
      } finally {
        detach?.();
      }
      progress?.stop();
    });
}
