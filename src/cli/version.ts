/** `parsl-ts version`. */
import { Command } from 'commander';
import { VERSION } from '../version.js';

export function versionCommand(): Command {
  return new Command('version')
    .description('print the parsl-ts and Node.js versions')
    .action(() => {
      process.stdout.write(`parsl-ts ${VERSION} (Node.js ${process.versions.node})\n`);
    });
}
