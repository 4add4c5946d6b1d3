/** A launcher wraps the worker-pool command so it starts on every node of a block. */
export interface Launcher {
  readonly name: string;
  /** The command line that runs `command` `tasksPerNode` times on each of `nodesPerBlock` nodes. */
  wrap(command: string, tasksPerNode: number, nodesPerBlock: number): string;
}
