/** Benchmark rows and the table `npm run bench` prints. */

export interface BenchRow {
  /** What was measured, e.g. 'threads: no-op tasks/s'. */
  name: string;
  /** Median of the runs. */
  median: number;
  unit: string;
  /** Python Parsl's figure on this kind of machine (DESIGN §5 / FACTS.md), if any. */
  parsl?: number;
  /** The project's target (DESIGN §5), if any. */
  target?: number;
  /** Whether a larger value is better (throughput) or worse (latency, memory). */
  higherIsBetter: boolean;
  runs: number[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Milliseconds of each of `n` sequential calls of `call` (each awaited), after `warmup` calls. */
export async function sequentialLatencies(call: () => PromiseLike<unknown>, n: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call();
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await call();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/** Runs `measure` `times` times (after one warm-up unless told otherwise) and makes a row. */
export async function benchRow(
  name: string, unit: string, higherIsBetter: boolean, measure: () => Promise<number>,
  options: { times?: number; warmup?: boolean; parsl?: number; target?: number } = {},
): Promise<BenchRow> {
  if (options.warmup ?? true) await measure();
  const runs: number[] = [];
  for (let i = 0; i < (options.times ?? 3); i++) runs.push(await measure());
  const row: BenchRow = { name, median: median(runs), unit, higherIsBetter, runs };
  if (options.parsl !== undefined) row.parsl = options.parsl;
  if (options.target !== undefined) row.target = options.target;
  return row;
}

function format(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

/** How many times better than Parsl (>1 is better, whichever direction is better). */
function ratio(row: BenchRow): string {
  if (row.parsl === undefined || row.median === 0) return '';
  const r = row.higherIsBetter ? row.median / row.parsl : row.parsl / row.median;
  return `${r.toFixed(1)}×`;
}

function meetsTarget(row: BenchRow): string {
  if (row.target === undefined) return '';
  const ok = row.higherIsBetter ? row.median >= row.target : row.median <= row.target;
  return `${ok ? 'yes' : 'NO'} (${row.higherIsBetter ? '≥' : '≤'} ${format(row.target)})`;
}

export function printTable(rows: BenchRow[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
  const header = ['benchmark', 'median', 'unit', 'Python Parsl', 'vs Parsl', 'target met', 'runs'];
  const body = rows.map((r) => [
    r.name, format(r.median), r.unit, r.parsl === undefined ? '' : format(r.parsl), ratio(r), meetsTarget(r),
    r.runs.map(format).join(' / '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  out(line(header));
  out(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const cells of body) out(line(cells));
}
