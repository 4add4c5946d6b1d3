/**
 * `npm run bench`: every benchmark, as a table of medians with Python Parsl's figures on
 * this kind of machine and the targets of DESIGN §5. `npm run bench -- threads` runs one group.
 */
import { existsSync } from 'node:fs';
import { printTable, type BenchRow } from './table.js';
import { threadBenchmarks } from './threads.js';
import { memoryBench } from './memory.js';
import { startupBenchmarks } from './startup.js';

type Group = () => Promise<BenchRow[]>;

async function optionalGroup(file: string, exportName: string): Promise<Group | undefined> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(url)) return undefined;
  const module = await import(url.href) as Record<string, unknown>;
  const group = module[exportName];
  return typeof group === 'function' ? group as Group : undefined;
}

const groups: Record<string, Group | undefined> = {
  threads: threadBenchmarks,
  htex: await optionalGroup('./htex.ts', 'htexBenchmarks'),
  monitoring: await optionalGroup('./monitoring-cost.ts', 'monitoringCostBenchmarks'),
  staging: await optionalGroup('./staging.ts', 'stagingBenchmarks'),
  memory: memoryBenchmarks,
  startup: startupBenchmarks,
  dashboard: await optionalGroup('./dashboard.ts', 'dashboardBenchmarks'),
};

/** Driver memory for 1,000,000 pending no-op tasks (each case in a fresh process). */
async function memoryBenchmarks(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const row of await memoryBench()) {
    rows.push({ name: `memory: ${row.case}, per pending task`, median: row.bytesPerPendingTask, unit: 'bytes', target: 2048, higherIsBetter: false, runs: [row.bytesPerPendingTask] });
    rows.push({ name: `memory: ${row.case}, peak RSS`, median: row.peakRssMiB, unit: 'MiB', target: 2048, higherIsBetter: false, runs: [row.peakRssMiB] });
  }
  return rows;
}

const wanted = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const [name, group] of Object.entries(groups)) {
  if (group === undefined || (wanted.length > 0 && !wanted.includes(name))) continue;
  process.stderr.write(`bench: ${name}…\n`);
  rows.push(...await group());
}
printTable(rows);
