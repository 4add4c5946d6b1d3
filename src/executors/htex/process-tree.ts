/** Finding and ending a process's descendants, so that no worker (or its children) is orphaned. */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of every live descendant of `root` (via /proc; empty where there is no /proc). */
export function descendantPids(root: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state ppid …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') continue;
    const ppid = Number(fields[1]);
    let list = children.get(ppid);
    if (list === undefined) children.set(ppid, list = []);
    list.push(Number(entry));
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
