import type { Launcher } from './launcher.js';

/**
 * Puts `prepend` in front of the command (Parsl's `WrappedLauncher`), e.g. a container
 * runtime: `new WrappedLauncher('apptainer exec image.sif')`. Starts one copy per block:
 * it ignores tasks per node and nodes per block.
 */
export class WrappedLauncher implements Launcher {
  readonly name = 'WrappedLauncher';

  constructor(readonly prepend: string) {}

  wrap(command: string, _tasksPerNode?: number, _nodesPerBlock?: number): string {
    return this.prepend ? `${this.prepend} ${command}` : command;
  }
}
