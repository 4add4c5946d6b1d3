/**
 * What the database adapters share: the batch of rows the recorder sends, and the SQL that
 * writes it (multi-row INSERTs; an upsert for the tables whose rows are updated as a task,
 * try, node or run changes). Rows travel flat and without `run_id`: the store adds it.
 */
import { TABLES, TABLE_NAMES, quoteIdent, type Dialect, type TableName } from './schema.js';

/** Flat rows per table, in `wireColumns(table)` order, for one run. */
export interface RowBatch {
  runId: string;
  rows: Partial<Record<TableName, unknown[]>>;
}

/** A database the recorder writes to (one connection, used by one writer at a time). */
export interface MonitoringStore {
  /** Where it writes, for log lines (never a password). */
  readonly description: string;
  /** Connects (again) and creates the schema if needed. */
  open(): Promise<void>;
  /** Writes one batch in one transaction; throws, having written nothing, on failure. */
  write(batch: RowBatch): Promise<void>;
  close(): Promise<void>;
}

/** Columns of a table as the recorder sends them: all but `run_id`. */
export function wireColumns(table: TableName): string[] {
  return TABLES[table].columns.map((column) => column.name).filter((name) => name !== 'run_id');
}

/** Tables whose rows are rewritten as they change, with the key that identifies a row. */
const UPSERT_KEYS: Partial<Record<TableName, readonly string[]>> = {
  workflow: TABLES.workflow.key, task: TABLES.task.key, try: TABLES.try.key, node: TABLES.node.key,
};

/** `INSERT` of `rowCount` rows (upserting where the table says so), with `?` or `$n` placeholders. */
export function insertSql(dialect: Dialect, table: TableName, rowCount: number): string {
  const columns = TABLES[table].columns.map((column) => column.name);
  let n = 0;
  const placeholder = dialect === 'sqlite' ? () => '?' : () => `$${++n}`;
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) rows.push(`(${columns.map(placeholder).join(', ')})`);
  let sql = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES ${rows.join(', ')}`;
  const key = UPSERT_KEYS[table];
  if (key !== undefined) {
    const updates = columns.filter((name) => !key.includes(name)).map((name) => `${quoteIdent(name)} = excluded.${quoteIdent(name)}`);
    sql += ` ON CONFLICT (${key.map(quoteIdent).join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
  }
  return sql;
}

/**
 * Calls `write(table, rowCount, params)` for the batch's rows in chunks of at most
 * `maxRows`, with `run_id` put back in its place. Tables in schema order (a task before its
 * tries and statuses).
 */
export function forEachChunk(batch: RowBatch, maxRows: (table: TableName) => number,
  write: (table: TableName, rowCount: number, params: unknown[]) => void): void {
  for (const table of TABLE_NAMES) {
    const flat = batch.rows[table];
    if (flat === undefined || flat.length === 0) continue;
    const columns = TABLES[table].columns;
    const width = columns.length - 1;
    const runIdAt = columns.findIndex((column) => column.name === 'run_id');
    const total = flat.length / width;
    const chunk = maxRows(table);
    for (let first = 0; first < total; first += chunk) {
      const count = Math.min(chunk, total - first);
      const params: unknown[] = new Array(count * columns.length);
      let p = 0;
      for (let r = first; r < first + count; r++) {
        const base = r * width;
        for (let c = 0; c < width; c++) {
          if (c === runIdAt) params[p++] = batch.runId;
          params[p++] = flat[base + c];
        }
        if (runIdAt === width) params[p++] = batch.runId;
      }
      write(table, count, params);
    }
  }
}

/** The number of rows in a batch. */
export function rowCount(batch: RowBatch): number {
  let rows = 0;
  for (const table of TABLE_NAMES) {
    const flat = batch.rows[table];
    if (flat !== undefined) rows += flat.length / (TABLES[table].columns.length - 1);
  }
  return rows;
}
