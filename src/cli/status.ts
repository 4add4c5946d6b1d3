/**
 * `parsl-ts status [runDir]`: what a run is doing now — tasks by state, each executor's
 * queue and workers, blocks and their scheduler state, managers connected — read from the
 * snapshot the driver rewrites every second (`runinfo/NNN/status.json`).
 */
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listRunDirs } from '../dataflow/run-dir.js';
import { STATUS_FILE, type RunStatus } from '../dataflow/status-file.js';
import { tailOfFile } from '../executors/block-provider-executor.js';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** Finds the status file: in `dir` itself, or in its newest numbered run. */
export function findStatusFile(dir: string): string | undefined {
  if (existsSync(join(dir, STATUS_FILE))) return join(dir, STATUS_FILE);
  const runs = listRunDirs(dir).filter((run) => existsSync(join(run, STATUS_FILE)));
  return runs.length === 0 ? undefined : join(runs[runs.length - 1]!, STATUS_FILE);
}

interface BlockView {
  blockId: string; jobId?: string; state: string; submittedAt?: number; message?: string;
  schedulerState?: string; reason?: string; stderrPath?: string; registered?: boolean;
}

/** The last `lines` lines of a block's stderr, or undefined. */
function stderrTail(path: string | undefined, lines = 5): string[] | undefined {
  const text = tailOfFile(path);
  if (text === undefined) return undefined;
  return text.split('\n').slice(-lines);
}
interface ManagerView { managerId: string; blockId: string; hostname: string; pid: number; workerCount: number; tasks: number; held: boolean; draining: boolean }

/** `(reason: Resources, Priority)` for the pending blocks that have a scheduler reason. */
function pendingReasons(blocks: BlockView[]): string {
  const reasons = [...new Set(blocks.filter((b) => b.state === 'pending' && b.reason).map((b) => b.reason!))];
  return reasons.length === 0 ? '' : ` (scheduler's reason: ${reasons.join(', ')})`;
}

export function formatStatus(status: RunStatus, now = Date.now(), driverAlive = alive(status.pid)): string {
  const lines: string[] = [];
  const age = ((now - status.updatedAt) / 1000).toFixed(1);
  const driver = status.state === 'ended' ? 'ended' : driverAlive ? 'running' : 'driver gone';
  lines.push(`run ${status.runDir}: ${driver} (driver pid ${status.pid} on ${status.hostname}, started ${time(status.startedAt)}, snapshot ${age} s old)`);
  const t = status.tasks;
  lines.push(`tasks: ${t.submitted} submitted · ${t.done} done · ${t.failed} failed · ${t.queued ?? 0} queued · ${t.running} running · ${t.pending} waiting for dependencies`);
  lines.push('');
  lines.push(table(['executor', 'kind', 'queued', 'running', 'workers'],
    status.executors.map((e) => [e.label, e.kind, String(e.queued), String(e.running), String(e.workers)])));
  const hints: string[] = [];
  if (status.state === 'running' && !driverAlive) hints.push('the driver process is gone (killed?) but never cleaned up; rerun with `parsl-ts run --resume` to reuse checkpoints');
  else if (status.state === 'running' && now - status.updatedAt > 5000) hints.push('the snapshot is stale: the driver is alive but its event loop is blocked (a long synchronous call in the workflow script?)');
  for (const executor of status.executors) {
    const blocks = (executor['blocks'] as BlockView[] | undefined) ?? [];
    const managers = (executor['managers'] as ManagerView[] | undefined) ?? [];
    if (blocks.length > 0) {
      lines.push('', `blocks of ${executor.label}:`);
      lines.push(table(['block', 'job', 'state', 'scheduler', 'reason', 'submitted', 'message'],
        blocks.map((b) => [b.blockId, b.jobId ?? '-', b.state, b.schedulerState ?? '-', b.reason ?? '-',
          b.submittedAt ? time(b.submittedAt) : '-', (b.message ?? '').slice(0, 60)])));
      for (const block of blocks) {
        const ended = ['failed', 'completed', 'missing', 'timeout'].includes(block.state);
        if (!(block.state === 'failed' || (ended && block.registered === false))) continue;
        const tail = stderrTail(block.stderrPath);
        if (tail !== undefined) lines.push(`  block ${block.blockId} stderr (${block.stderrPath}), last lines:`, ...tail.map((l) => `    ${l}`));
      }
    }
    if (managers.length > 0) {
      lines.push('', `managers of ${executor.label}:`);
      lines.push(table(['manager', 'block', 'host', 'pid', 'workers', 'tasks', 'state'],
        managers.map((m) => [m.managerId, m.blockId, m.hostname, String(m.pid), String(m.workerCount), String(m.tasks),
          m.draining ? 'draining' : m.held ? 'held' : 'active'])));
    }
    if (executor.queued > 0 && executor.workers === 0) {
      const pending = blocks.filter((b) => b.state === 'pending').length;
      hints.push(`${executor.label}: ${executor.queued} tasks queued but no worker is connected`
        + (blocks.length === 0 ? ' and no block was started (initBlocks 0 and strategy none?)'
          : pending > 0 ? `; ${pending} block(s) still pending in the scheduler${pendingReasons(blocks)}` : '; check the blocks\' stderr under submit_scripts/'));
    }
  }
  if (hints.length > 0) lines.push('', ...hints.map((h) => `hint: ${h}`));
  return lines.join('\n');
}

export function statusCommand(): Command {
  return new Command('status')
    .description('show what a run is doing: tasks, executors, blocks and their scheduler state, managers')
    .argument('[runDir]', 'a run directory (runinfo/NNN) or the runinfo directory (its newest run)', 'runinfo')
    .option('--json', 'print the raw snapshot')
    .action((runDir: string, options: { json?: boolean }) => {
      const file = findStatusFile(resolve(runDir));
      if (file === undefined) {
        process.stderr.write(`parsl-ts status: no run with a ${STATUS_FILE} under ${resolve(runDir)}\n`);
        process.exitCode = 2;
        return;
      }
      const status = JSON.parse(readFileSync(file, 'utf8')) as RunStatus;
      process.stdout.write(`${options.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
    });
}
