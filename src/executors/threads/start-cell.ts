/**
 * Monitoring on threads: which task a worker thread is running and since when, in shared
 * memory. The worker writes it when a task starts (no message, so nothing is added to the
 * path of fast tasks); the executor reads it a few times a second to record long tasks as
 * running while they run. A sequence number guards against reading half a write.
 */

/** `[sequence (odd while writing)]` then `[taskId, tryId, startedAt ms]` as doubles. */
const BYTES = 8 + 3 * 8;

export interface StartedTask {
  taskId: number;
  tryId: number;
  startedAt: number;
  /** Changes with every start: tells a new start from one already seen. */
  sequence: number;
}

export class StartCell {
  readonly #sequence: Int32Array;
  readonly #fields: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BYTES)) {
    this.#sequence = new Int32Array(buffer, 0, 1);
    this.#fields = new Float64Array(buffer, 8, 3);
  }

  /** Worker side: a task starts now. */
  write(taskId: number, tryId: number, startedAt: number): void {
    Atomics.add(this.#sequence, 0, 1);
    this.#fields[0] = taskId;
    this.#fields[1] = tryId;
    this.#fields[2] = startedAt;
    Atomics.add(this.#sequence, 0, 1);
  }

  /** Executor side: the latest start, or undefined if none yet or a write is under way. */
  read(): StartedTask | undefined {
    const before = Atomics.load(this.#sequence, 0);
    if (before === 0 || (before & 1) === 1) return undefined;
    const taskId = this.#fields[0]!, tryId = this.#fields[1]!, startedAt = this.#fields[2]!;
    if (Atomics.load(this.#sequence, 0) !== before) return undefined;
    return { taskId, tryId, startedAt, sequence: before };
  }
}
