import { debugEcho, positiveCount } from './script.js';
import type { Launcher } from './launcher.js';

export interface SingleNodeLauncherOptions {
  /** Echo what the launcher does to the block's stdout. Default true. */
  debug?: boolean;
  /** Exit non-zero when any copy fails (default: only when every copy fails). */
  failOnAny?: boolean;
}

/**
 * Starts `tasksPerNode × nodesPerBlock` copies of the command in parallel on the node the
 * block runs on, and waits for them all (Parsl's `SingleNodeLauncher`, the LocalProvider's
 * default). Exports `CORES` (the node's core count); each copy gets its number as `$1`.
 * The block exits with the first failing copy's exit code when every copy failed (or any,
 * with `failOnAny`), else 0.
 */
export class SingleNodeLauncher implements Launcher {
  readonly name = 'SingleNodeLauncher';
  readonly debug: boolean;
  readonly failOnAny: boolean;

  constructor(options: SingleNodeLauncherOptions = {}) {
    this.debug = options.debug ?? true;
    this.failOnAny = options.failOnAny ?? false;
  }

  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string {
    const copies = positiveCount('tasksPerNode', tasksPerNode) * positiveCount('nodesPerBlock', nodesPerBlock);
    return [
      'export CORES=$(getconf _NPROCESSORS_ONLN)',
      debugEcho(this.debug, 'Found cores : $CORES'),
      `WORKERCOUNT=${copies}`,
      `FAILONANY=${this.failOnAny ? 1 : 0}`,
      'CMD() {',
      command,
      '}',
      'PIDS=""',
      'for COUNT in $(seq 1 1 $WORKERCOUNT); do',
      `    ${debugEcho(this.debug, 'Launching worker: $COUNT')}`,
      '    CMD $COUNT &',
      '    PIDS="$PIDS $!"',
      'done',
      'FAILED=0',
      'FIRSTCODE=0',
      'for PID in $PIDS; do',
      '    CODE=0',
      '    wait $PID || CODE=$?',
      '    if [ "$CODE" != "0" ]; then',
      '        FAILED=$((FAILED + 1))',
      '        [ "$FIRSTCODE" = "0" ] && FIRSTCODE=$CODE',
      '    fi',
      'done',
      debugEcho(this.debug, 'All workers done'),
      'if [ "$FAILED" -gt 0 ] && { [ "$FAILONANY" = "1" ] || [ "$FAILED" = "$WORKERCOUNT" ]; }; then',
      '    exit $FIRSTCODE',
      'fi',
      'exit 0',
    ].join('\n');
  }
}
