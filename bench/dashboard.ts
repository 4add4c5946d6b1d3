/**
 * Dashboard page loads on a 1,000,000-task monitoring database (bench/dashboard-db.ts, made
 * once and cached under .tmp/). A page's time is what its browser waits for from the
 * server: the HTML and every API call the page makes, one after the other (SQLite answers
 * one query at a time anyway). "first load" is on a freshly started server (no cached
 * responses, no prepared statements); "again" is the same page reloaded while nothing
 * changed. Runnable alone: `node --conditions=development --import tsx bench/dashboard.ts`.
 */
import { fileURLToPath } from 'node:url';
import { openDashboardDatabase } from '../src/dashboard/database.js';
import { startDashboard } from '../src/dashboard/server.js';
import { BENCH_RUN_ID, ensureBenchDatabase } from './dashboard-db.js';
import { median, printTable, type BenchRow } from './table.js';

const TASKS = 1_000_000;
const FRESH_SERVERS = 3;
const TARGET_MS = 1000;

function pages(run: string): Record<string, string[]> {
  const api = `/api/workflow/${run}`;
  return {
    'workflows list': ['/', '/api/workflows'],
    'workflow page': [`/workflow/${run}`, `${api}/summary`, `${api}/apps`, `${api}/timeline`, `${api}/tasks-over-time`,
      `${api}/resources`, `${api}/graph`, `${api}/failures?state=failed&page=0`],
    'workflow page, timeline zoomed to 10 min': [`${api}/timeline?from=1767230000&to=1767230600`],
    'workflow page, failures page 20 (dep. failed)': [`${api}/failures?state=dep_fail&page=20`],
    'blocks page': [`/workflow/${run}/blocks`, `${api}/blocks`, `${api}/summary`],
    'task page': [`/workflow/${run}/task/424242`, `${api}/task/424242`],
  };
}

async function loadMs(base: string, urls: string[]): Promise<number> {
  const started = performance.now();
  for (const url of urls) {
    const response = await fetch(base + url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    await response.arrayBuffer();
  }
  return performance.now() - started;
}

export async function dashboardBenchmarks(): Promise<BenchRow[]> {
  const path = ensureBenchDatabase(TASKS, (line) => process.stderr.write(line + '\n'));
  const first = new Map<string, number[]>();
  const again = new Map<string, number[]>();
  for (let i = 0; i < FRESH_SERVERS; i++) {
    const db = await openDashboardDatabase(path);
    const dashboard = await startDashboard({ db, port: 0 });
    try {
      for (const [page, urls] of Object.entries(pages(BENCH_RUN_ID))) {
        first.set(page, [...first.get(page) ?? [], await loadMs(dashboard.url, urls)]);
        again.set(page, [...again.get(page) ?? [], await loadMs(dashboard.url, urls)]);
      }
    } finally {
      await dashboard.close();
      await db.close();
    }
  }
  const rows: BenchRow[] = [];
  for (const page of first.keys()) {
    const runs = first.get(page)!;
    rows.push({ name: `dashboard 1M tasks: ${page}, first load`, median: median(runs), unit: 'ms', target: TARGET_MS, higherIsBetter: false, runs });
  }
  for (const page of again.keys()) {
    const runs = again.get(page)!;
    rows.push({ name: `dashboard 1M tasks: ${page}, again`, median: median(runs), unit: 'ms', target: TARGET_MS, higherIsBetter: false, runs });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printTable(await dashboardBenchmarks());
}
