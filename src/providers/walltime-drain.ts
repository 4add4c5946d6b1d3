/**
 * How blocks end near their walltime, shared by the HTEX manager (which drains) and the
 * LocalProvider (which reports how its block ended). Imports nothing: the manager process
 * loads it at start.
 */

/**
 * Seconds before its block's walltime at which an HTEX manager stops taking tasks, and exits
 * once they are done: 10% of the walltime, at most 60 s. A block that ends in this window
 * ended because of its walltime.
 */
export function walltimeDrainMargin(walltimeSeconds: number): number {
  return Math.min(60, walltimeSeconds * 0.1);
}
