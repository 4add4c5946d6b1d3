/**
 * SQL pieces every dashboard query shares. The same text runs on SQLite and PostgreSQL:
 * times are epoch seconds (numbers), identifiers that are keywords are quoted, untyped
 * parameters are cast where PostgreSQL could not infer them.
 */

/** Series are drawn with at most this many buckets. */
export const MAX_BUCKETS = 200;

export interface Buckets {
  /** Start of the first bucket (epoch seconds). */
  start: number;
  /** Width of a bucket (seconds). */
  width: number;
  count: number;
}

/** About MAX_BUCKETS buckets of a round width (at least `minWidth` seconds) covering [from, to]. */
export function bucketsFor(from: number, to: number, maxBuckets = MAX_BUCKETS, minWidth = 0): Buckets {
  const span = Math.max(to - from, 1);
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
  const width = steps.find((step) => span / step <= maxBuckets && step >= minWidth) ?? Math.ceil(Math.max(span / maxBuckets, minWidth) / 86400) * 86400;
  const start = Math.floor(from / width) * width;
  return { start, width, count: Math.floor((to - start) / width) + 1 };
}

/**
 * Evenly spaced windows of a numeric column (task ids or times) that together cover about
 * `fraction` of [lo, hi]: a stratified sample read by index range scans, so a query over a
 * million rows touches only the rows it keeps. One window covering everything when the
 * fraction is 1.
 */
export interface SampleWindows {
  start: number;
  /** Distance between the starts of two windows. */
  step: number;
  /** Length of each window (≤ step). */
  width: number;
  end: number;
  /** Share of the range the windows cover (1: no sampling). */
  fraction: number;
}

export function sampleWindows(lo: number, hi: number, fraction: number, windows = 100): SampleWindows {
  if (fraction >= 1 || !(hi > lo)) return { start: lo, step: hi - lo + 1, width: hi - lo + 1, end: hi, fraction: 1 };
  const step = (hi - lo) / windows;
  return { start: lo, step, width: step * fraction, end: hi, fraction };
}

/**
 * `WITH RECURSIVE w(lo) …`: one row per window start; join on
 * `x >= w.lo AND x < w.lo + <width>`. Returns the CTE text and its parameters.
 */
export function windowsCte(windows: SampleWindows): { sql: string; params: number[] } {
  return {
    sql: `WITH RECURSIVE w(lo) AS (
      SELECT CAST(? AS DOUBLE PRECISION)
      UNION ALL SELECT lo + CAST(? AS DOUBLE PRECISION) FROM w WHERE lo + CAST(? AS DOUBLE PRECISION) <= CAST(? AS DOUBLE PRECISION))`,
    params: [windows.start, windows.step, windows.step, windows.end],
  };
}

/** The p-th percentile (0–100) of sorted numbers (nearest rank). */
export function percentileOfSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Task states a task never leaves, and the two that mean it did not succeed. */
export const FAILED_STATES = ['failed', 'dep_fail'] as const;
export const DONE_STATES = ['exec_done', 'memo_done'] as const;

/** Numbers from either database: pg returns counts as numbers here, SQLite may return null for empty sums. */
export function num(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
