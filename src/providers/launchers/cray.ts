import { debugEcho, positiveCount, writeCommandFile } from './script.js';
import type { Launcher } from './launcher.js';

export interface AprunLauncherOptions {
  debug?: boolean;
  /** Extra `aprun` arguments, verbatim. */
  overrides?: string;
}

/** Runs the copies with Cray's `aprun -n total -N perNode` (Parsl's `AprunLauncher`). */
export class AprunLauncher implements Launcher {
  readonly name = 'AprunLauncher';
  readonly debug: boolean;
  readonly overrides: string;

  constructor(options: AprunLauncherOptions = {}) {
    this.debug = options.debug ?? true;
    this.overrides = options.overrides ?? '';
  }

  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string {
    return spreadScript('aprun', '-N', this.overrides, this.debug, 'APRUN_EOF', command, tasksPerNode, nodesPerBlock);
  }
}

export interface JsrunLauncherOptions {
  debug?: boolean;
  /** Extra `jsrun` arguments, verbatim. */
  overrides?: string;
}

/** Runs the copies with IBM's `jsrun -n total -r perNode` (Parsl's `JsrunLauncher`). */
export class JsrunLauncher implements Launcher {
  readonly name = 'JsrunLauncher';
  readonly debug: boolean;
  readonly overrides: string;

  constructor(options: JsrunLauncherOptions = {}) {
    this.debug = options.debug ?? true;
    this.overrides = options.overrides ?? '';
  }

  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string {
    return spreadScript('jsrun', '-r', this.overrides, this.debug, 'JSRUN_EOF', command, tasksPerNode, nodesPerBlock);
  }
}

/** aprun and jsrun take the same shape: `<tool> -n <total> <perNodeFlag> <perNode>`. */
function spreadScript(tool: string, perNodeFlag: string, overrides: string, debug: boolean, marker: string,
  command: string, tasksPerNode: number, nodesPerBlock: number): string {
  const total = positiveCount('tasksPerNode', tasksPerNode) * positiveCount('nodesPerBlock', nodesPerBlock);
  return [
    'set -e',
    `WORKERCOUNT=${total}`,
    writeCommandFile(command, 'cmd_$JOBNAME.sh', marker),
    `${tool} -n ${total} ${perNodeFlag} ${tasksPerNode} ${overrides ? `${overrides} ` : ''}/bin/bash cmd_$JOBNAME.sh &`,
    'wait',
    debugEcho(debug, 'Done'),
  ].join('\n');
}
