/** Pieces shared by the launchers that write the worker command to a file first. */

/** Validates a launcher count (tasks per node, nodes per block). */
export function positiveCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Shell lines writing `command` verbatim to the file named by the shell expression `path`
 * (a quoted here-document: no expansion now, so `$VARS` expand where the command runs).
 */
export function writeCommandFile(command: string, path: string, marker: string): string {
  return `cat << '${marker}' > ${path}\n${command}\n${marker}\nchmod u+x ${path}`;
}

/** The shell line echoing `text` when `debug` is on. */
export function debugEcho(debug: boolean, text: string): string {
  return debug ? `echo "${text}"` : ':';
}
