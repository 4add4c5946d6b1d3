/**
 * Resource samples of a process and its descendants, read from Linux's /proc (no
 * dependency; elsewhere a sample holds what `process` itself can tell). Worker-side:
 * imports nothing from the driver's layers.
 *
 * What a sample means:
 * - CPU user/system: seconds, cumulative, summed over the process and its live descendants.
 * - memory: resident and virtual bytes, summed the same way.
 * - I/O: bytes read and written through system calls (`rchar`/`wchar`, page-cache hits
 *   included), cumulative, summed the same way.
 * - children: the number of live descendants.
 * - memory percent: resident bytes as a percentage of the node's memory.
 * - status: the state of the process itself (not its descendants), as psutil names it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { SAMPLE_FIELDS } from './events.js';

const TOTAL_MEMORY = totalmem();
/** Linux's USER_HZ, the unit of CPU times in /proc/<pid>/stat, is 100 everywhere we run. */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;
const HAS_PROC = process.platform === 'linux';
/** The one-letter states of /proc/<pid>/stat, in the order of events.ts's PROCESS_STATUSES. */
const STATE_LETTERS = 'RSDTtZXIPW';

export interface ProcessUsage {
  cpuUser: number;
  cpuSystem: number;
  rss: number;
  vms: number;
  readBytes: number;
  writeBytes: number;
  children: number;
  /** Index into PROCESS_STATUSES; -1 when unknown. */
  status: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Adds one process's own figures (and, for the first, its state); false if it is gone. */
function addProcess(pid: number, usage: ProcessUsage): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (usage.status === -1) usage.status = STATE_LETTERS.indexOf(fields[0] ?? '');
  usage.cpuUser += Number(fields[11]) / TICKS_PER_SECOND;
  usage.cpuSystem += Number(fields[12]) / TICKS_PER_SECOND;
  usage.vms += Number(fields[20]);
  usage.rss += Number(fields[21]) * PAGE_BYTES;
  const io = readText(`/proc/${pid}/io`);
  if (io !== undefined) {
    const rchar = /^rchar: (\d+)/m.exec(io);
    const wchar = /^wchar: (\d+)/m.exec(io);
    if (rchar) usage.readBytes += Number(rchar[1]);
    if (wchar) usage.writeBytes += Number(wchar[1]);
  }
  return true;
}

/** Direct children of `pid`, from every thread's `children` list. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const tid of threads) {
    const list = readText(`/proc/${pid}/task/${tid}/children`);
    if (list === undefined) continue;
    for (const word of list.split(' ')) if (word !== '' && word !== '\n') children.push(Number(word));
  }
  return children;
}

/** The usage of `pid`, and of its descendants when `withDescendants`. */
export function sampleProcess(pid: number, withDescendants: boolean): ProcessUsage {
  const usage: ProcessUsage = { cpuUser: 0, cpuSystem: 0, rss: 0, vms: 0, readBytes: 0, writeBytes: 0, children: 0, status: -1 };
  if (!HAS_PROC || !addProcess(pid, usage)) {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    return { ...usage, cpuUser: cpu.user / 1e6, cpuSystem: cpu.system / 1e6, rss: memory.rss };
  }
  const pending = childrenOf(pid);
  while (pending.length > 0) {
    const child = pending.pop()!;
    usage.children++;
    if (withDescendants && addProcess(child, usage)) pending.push(...childrenOf(child));
  }
  return usage;
}

/**
 * Takes samples of one process for the tries it runs, computing CPU percent between two
 * consecutive samples; appends SAMPLE_FIELDS numbers per sample to `out`.
 */
export class ProcessSampler {
  #lastTime = 0;
  #lastCpu = 0;

  constructor(readonly pid: number, readonly withDescendants: boolean) {}

  sample(taskId: number, tryId: number, out: number[], now = Date.now()): void {
    const usage = sampleProcess(this.pid, this.withDescendants);
    const cpu = usage.cpuUser + usage.cpuSystem;
    const elapsed = (now - this.#lastTime) / 1000;
    const percent = this.#lastTime > 0 && elapsed > 0 ? Math.max(0, (100 * (cpu - this.#lastCpu)) / elapsed) : 0;
    this.#lastTime = now;
    this.#lastCpu = cpu;
    const at = out.length;
    out.length = at + SAMPLE_FIELDS;
    out[at] = taskId; out[at + 1] = tryId; out[at + 2] = now; out[at + 3] = this.pid;
    out[at + 4] = usage.cpuUser; out[at + 5] = usage.cpuSystem; out[at + 6] = usage.rss; out[at + 7] = usage.vms;
    out[at + 8] = usage.readBytes; out[at + 9] = usage.writeBytes; out[at + 10] = usage.children; out[at + 11] = percent;
    out[at + 12] = (100 * usage.rss) / TOTAL_MEMORY; out[at + 13] = usage.status;
  }
}
