/**
 * The process table as /proc shows it, so that parsl-ts can find and end every process it
 * started (a block's process group, a worker's descendants) and leave no orphan.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  /** One letter, as in `ps`: R, S, D, Z (zombie), T (stopped), … */
  state: string;
}

/** Every process visible in /proc; undefined where there is no /proc. */
export function listProcesses(): ProcessEntry[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const processes: ProcessEntry[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    // Fields after the parenthesised command (which may hold spaces): state ppid pgrp …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processes.push({ pid: Number(entry), state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]) });
  }
  return processes;
}

/** Pids of every live (non-zombie) descendant of `root`; empty where there is no /proc. */
export function descendantPids(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const proc of listProcesses() ?? []) {
    if (proc.state === 'Z') continue;
    let list = children.get(proc.ppid);
    if (list === undefined) children.set(proc.ppid, list = []);
    list.push(proc.pid);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** SIGKILLs every descendant of `root`; returns how many were signalled. */
export function killDescendants(root: number): number {
  let count = 0;
  for (const pid of descendantPids(root)) {
    try {
      process.kill(pid, 'SIGKILL');
      count++;
    } catch { /* already gone */ }
  }
  return count;
}

/** Whether group `pgid` holds a live (non-zombie) process; without /proc, what kill(0) says. */
export function groupHasLiveProcess(pgid: number): boolean {
  const processes = listProcesses();
  if (processes === undefined) return true;
  return processes.some((proc) => proc.pgrp === pgid && proc.state !== 'Z');
}
