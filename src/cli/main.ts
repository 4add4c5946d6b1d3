/** `parsl-ts <command>`: one file per command under cli/. */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { dashboardCommand } from './dashboard.js';
import { initCommand } from './init.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { versionCommand } from './version.js';
import { workerPoolCommand } from './worker-pool.js';

export function buildProgram(): Command {
  const program = new Command('parsl-ts')
    .description('Parsl-style parallel workflows for TypeScript: apps, futures, dataflow')
    .version(VERSION, '-V, --version', 'print the parsl-ts version')
    .showHelpAfterError()
    .enablePositionalOptions();
  program.addCommand(initCommand());
  program.addCommand(runCommand());
  program.addCommand(statusCommand());
  program.addCommand(versionCommand());
  program.addCommand(workerPoolCommand());
  program.addCommand(dashboardCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
