import type { Launcher } from './launcher.js';

/**
 * Runs the command as is, once per block (Parsl's `SimpleLauncher`). Use it when the
 * command starts its own workers, or with a scheduler that already runs one copy per node.
 * Only one node per block gets a copy.
 */
export class SimpleLauncher implements Launcher {
  readonly name = 'SimpleLauncher';

  wrap(command: string, _tasksPerNode?: number, _nodesPerBlock?: number): string {
    return command;
  }
}
