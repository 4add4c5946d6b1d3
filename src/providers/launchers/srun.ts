import { debugEcho, positiveCount, writeCommandFile } from './script.js';
import type { Launcher } from './launcher.js';

export interface SrunLauncherOptions {
  debug?: boolean;
  /** Extra `srun` arguments, verbatim. */
  overrides?: string;
}

/**
 * Runs `tasksPerNode × nodesPerBlock` copies across a Slurm allocation with one `srun`
 * (Parsl's `SrunLauncher`). The command is first written to `$PARSL_SCRIPT_DIR` (cluster
 * providers set it to the run's `submit_scripts/`), else next to the job's stdout.
 */
export class SrunLauncher implements Launcher {
  readonly name = 'SrunLauncher';
  readonly debug: boolean;
  readonly overrides: string;

  constructor(options: SrunLauncherOptions = {}) {
    this.debug = options.debug ?? true;
    this.overrides = options.overrides ?? '';
  }

  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string {
    const copies = positiveCount('tasksPerNode', tasksPerNode) * positiveCount('nodesPerBlock', nodesPerBlock);
    const file = '$CMD_DIR/cmd_$SLURM_JOB_NAME.sh';
    return [
      'set -e',
      'export CORES=$SLURM_CPUS_ON_NODE',
      'export NODES=$SLURM_JOB_NUM_NODES',
      debugEcho(this.debug, 'Found cores : $CORES'),
      debugEcho(this.debug, 'Found nodes : $NODES'),
      `WORKERCOUNT=${copies}`,
      'CMD_DIR=${PARSL_SCRIPT_DIR:-$(dirname "${SLURM_JOB_STDOUT:-$PWD/x}")}',
      writeCommandFile(command, file, 'SLURM_EOF'),
      `srun --ntasks ${copies} -l ${this.overrides ? `${this.overrides} ` : ''}bash ${file}`,
      debugEcho(this.debug, 'Done'),
    ].join('\n');
  }
}
