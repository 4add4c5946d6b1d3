import { debugEcho, positiveCount, writeCommandFile } from './script.js';
import type { Launcher } from './launcher.js';

/** Shell lines writing the block's distinct hosts (from `$PBS_NODEFILE`, else localhost). */
function hostFileLines(variable: string): string[] {
  return [
    `${variable}="$JOBNAME.nodes"`,
    'if [ -z "$PBS_NODEFILE" ]; then',
    `    echo "localhost" > "$${variable}"`,
    'else',
    `    sort -u "$PBS_NODEFILE" > "$${variable}"`,
    'fi',
  ];
}

function prelude(debug: boolean, copies: number): string[] {
  return ['set -e', 'export CORES=$(getconf _NPROCESSORS_ONLN)', debugEcho(debug, 'Found cores : $CORES'), `WORKERCOUNT=${copies}`];
}

function join(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join(' ');
}

export interface MpiExecLauncherOptions {
  debug?: boolean;
  /** The flag that binds ranks to CPUs (bound to `none`). Default `'--bind-to'`. */
  bindCmd?: string;
  /** Extra `mpiexec` arguments, verbatim. */
  overrides?: string;
}

/** Runs the copies with `mpiexec` over the block's hosts (Parsl's `MpiExecLauncher`). */
export class MpiExecLauncher implements Launcher {
  readonly name = 'MpiExecLauncher';
  readonly debug: boolean;
  readonly bindCmd: string;
  readonly overrides: string;

  constructor(options: MpiExecLauncherOptions = {}) {
    this.debug = options.debug ?? true;
    this.bindCmd = options.bindCmd ?? '--bind-to';
    this.overrides = options.overrides ?? '';
  }

  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string {
    const copies = positiveCount('tasksPerNode', tasksPerNode) * positiveCount('nodesPerBlock', nodesPerBlock);
    return [
      ...prelude(this.debug, copies),
      ...hostFileLines('HOSTFILE'),
      writeCommandFile(command, 'cmd_$JOBNAME.sh', 'MPIEXEC_EOF'),
      join('mpiexec', this.bindCmd, 'none', this.overrides, '-n $WORKERCOUNT --hostfile $HOSTFILE /usr/bin/sh cmd_$JOBNAME.sh'),
      debugEcho(this.debug, 'All workers done'),
    ].join('\n');
  }
}

export interface MpiRunLauncherOptions {
  debug?: boolean;
  /** The shell `mpirun` starts. Default `'/bin/bash'`. */
  bashLocation?: string;
  /** Extra `mpirun` arguments, verbatim. */
  overrides?: string;
}

/** Runs the copies with `mpirun -np` (Parsl's `MpiRunLauncher`). */
export class MpiRunLauncher implements Launcher {
  readonly name = 'MpiRunLauncher';
  readonly debug: boolean;
  readonly bashLocation: string;
  readonly overrides: string;

  constructor(options: MpiRunLauncherOptions = {}) {
    this.debug = options.debug ?? true;
    this.bashLocation = options.bashLocation ?? '/bin/bash';
    this.overrides = options.overrides ?? '';
  }

  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string {
    const copies = positiveCount('tasksPerNode', tasksPerNode) * positiveCount('nodesPerBlock', nodesPerBlock);
    return [
      ...prelude(this.debug, copies),
      writeCommandFile(command, 'cmd_$JOBNAME.sh', 'MPIRUN_EOF'),
      join('mpirun -np $WORKERCOUNT', this.overrides, this.bashLocation, 'cmd_$JOBNAME.sh'),
      debugEcho(this.debug, 'All workers done'),
    ].join('\n');
  }
}

export interface GnuParallelLauncherOptions {
  debug?: boolean;
}

/**
 * Runs the copies with GNU parallel over ssh to the block's hosts (Parsl's
 * `GnuParallelLauncher`); needs `parallel` on the PATH and password-less ssh between nodes.
 */
export class GnuParallelLauncher implements Launcher {
  readonly name = 'GnuParallelLauncher';
  readonly debug: boolean;

  constructor(options: GnuParallelLauncherOptions = {}) {
    this.debug = options.debug ?? true;
  }

  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string {
    const copies = positiveCount('tasksPerNode', tasksPerNode) * positiveCount('nodesPerBlock', nodesPerBlock);
    return [
      ...prelude(this.debug, copies),
      ...hostFileLines('SSHLOGINFILE'),
      writeCommandFile(command, 'cmd_$JOBNAME.sh', 'PARALLEL_CMD_EOF'),
      'PFILE=cmd_$JOBNAME.sh.parallel',
      ': > "$PFILE"',
      'for COUNT in $(seq 1 1 $WORKERCOUNT); do',
      '    echo "sh cmd_$JOBNAME.sh" >> "$PFILE"',
      'done',
      `parallel --env _ --joblog "$JOBNAME.sh.parallel.log" --sshloginfile "$SSHLOGINFILE" --jobs ${tasksPerNode} < "$PFILE"`,
      debugEcho(this.debug, 'All workers done'),
    ].join('\n');
  }
}
