/** `parsl-ts run <workflow>`: runs a workflow file (TypeScript or JavaScript, no build step). */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOG_LEVEL_ENV } from '../config/config.js';
import { CONFIG_ENV, RESUME_ENV } from '../config/load-config.js';
import type { DataFlowKernel } from '../dataflow/dfk.js';
import { LOG_LEVELS } from '../util/logger.js';
import { ProgressReporter } from './progress.js';
import { isTypeScriptFile, registerTypeScript } from '../util/typescript-loader.js';

interface RunOptions {
  config?: string;
  resume?: boolean;
  progress: boolean;
  logLevel?: string;
  typecheck?: boolean;
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED_EXIT = 130;

/** What Ctrl-C tells the user: how far the run got and how to go on from there. */
function interruptMessage(dfk: DataFlowKernel | undefined, workflow: string, resumed: boolean): string {
  if (dfk === undefined) return 'parsl-ts run: interrupted before the workflow loaded a DataFlowKernel\n';
  const c = dfk.counts();
  const finished = `${c.done + c.failed} of ${c.submitted} tasks finished (${c.done} done, ${c.failed} failed)`;
  const checkpointed = dfk.config.checkpointMode !== null;
  const rerun = `parsl-ts run --resume ${workflow}`;
  return `parsl-ts run: interrupted: ${finished}; stopping workers and blocks...\n`
    + (checkpointed
      ? `parsl-ts run: \`${rerun}\` reuses the results checkpointed so far (apps with cache: true) from ${relative(process.cwd(), dfk.runDir) || '.'}\n`
      : `parsl-ts run: no checkpoint was written (checkpointMode is not set${resumed ? '' : ' and this run was not started with --resume'}); `
        + `with checkpointMode: 'task_exit' in the config, \`${rerun}\` reuses finished results\n`);
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a workflow file (.ts, .mts, .js, .mjs) with a progress display')
    .argument('<workflow>', 'the workflow file')
    .argument('[args...]', 'arguments for the workflow (process.argv.slice(2)); put them after `--`')
    .option('-c, --config <file>', 'config file used by load() when it is called without a config')
    .option('--resume', 'reuse the checkpoints of earlier runs in the run dir')
    .option('--no-progress', 'do not show progress')
    .addOption(new Option('--log-level <level>', `show log lines of this level and above on stderr (sets ${LOG_LEVEL_ENV}; default OFF)`)
      .choices(LOG_LEVELS.flatMap((l) => [l, l.toLowerCase()])))
    .option('--typecheck', 'type-check the workflow with the project\'s TypeScript before running it')
    .action(async (workflow: string, args: string[], options: RunOptions) => {
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
      if (options.logLevel) process.env[LOG_LEVEL_ENV] = options.logLevel.toUpperCase();
      if (options.typecheck) {
        const { typecheckWorkflow } = await import('./typecheck.js');
        const result = typecheckWorkflow(path);
        if (!result.ok) {
          process.stderr.write(result.report);
          process.exitCode = result.exitCode;
          return;
        }
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
      let interrupted = false;
      const onInterrupt = () => {
        if (interrupted) return; // the first Ctrl-C is already stopping everything
        interrupted = true;
        progress?.stop();
        const dfk = maybeCurrentDfk();
        process.stderr.write(interruptMessage(dfk, workflow, options.resume === true));
        void (dfk?.interrupt() ?? Promise.resolve()).finally(() => process.exit(INTERRUPTED_EXIT));
      };
      process.on('SIGINT', onInterrupt);
      try {
        await import(pathToFileURL(path).href);
        await maybeCurrentDfk()?.cleanup();
      } catch (error) {
        if (interrupted) return; // failures of tasks the interrupt cancelled
        progress?.stop();
        process.stderr.write(`parsl-ts run: workflow ${workflow} failed: ${(error as Error).stack ?? String(error)}\n`);
        await maybeCurrentDfk()?.cleanup().catch(() => {});
        process.exitCode = 1;
        return;
      } finally {
        detach?.();
      }
      if (interrupted) return;
      process.off('SIGINT', onInterrupt);
      progress?.stop();
    });
}
