/**
 * The dashboard's read-only view of a monitoring database: SQLite (a file path or
 * `sqlite:///path`) through better-sqlite3, or PostgreSQL (`postgresql://…`) through pg.
 * Queries are written once with `?` placeholders; PostgreSQL gets them renumbered.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigurationError } from '../errors.js';

export type Dialect = 'sqlite' | 'postgresql';

export interface DashboardDatabase {
  readonly dialect: Dialect;
  /** Where the data comes from, for the page header (no password). */
  readonly description: string;
  all<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Changes whenever another connection has committed a write; cheap enough to poll. */
  changeToken(): Promise<string>;
  close(): Promise<void>;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** `sqlite:///abs/path`, `sqlite:///rel/path` (Parsl's spelling, three slashes) or a plain path. */
export function sqlitePath(url: string): string {
  const path = url.startsWith('sqlite:///') ? url.slice('sqlite:///'.length) : url;
  return resolve(path);
}

export async function openDashboardDatabase(url: string): Promise<DashboardDatabase> {
  return isPostgresUrl(url) ? openPostgres(url) : openSqlite(sqlitePath(url));
}

async function openSqlite(path: string): Promise<DashboardDatabase> {
  if (!existsSync(path)) {
    throw new ConfigurationError(`no monitoring database at ${path}: run a workflow with \`monitoring: {}\` in its config first, or pass --db`);
  }
  const { default: Database } = await import('better-sqlite3');
  // Read-only: the dashboard can never lock the recorder out (WAL readers do not block writers).
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) statements.set(sql, statement = db.prepare<unknown[]>(sql));
    return statement;
  };
  return {
    dialect: 'sqlite',
    description: path,
    async all<Row>(sql: string, params: readonly unknown[] = []) {
      return prepare(sql).all(...(params as unknown[])) as Row[];
    },
    async changeToken() {
      return String(db.pragma('data_version', { simple: true }));
    },
    async close() {
      db.close();
    },
  };
}

/** `?` placeholders (outside quotes) become `$1`, `$2`, … */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

async function openPostgres(url: string): Promise<DashboardDatabase> {
  const { default: pg } = await import('pg');
  // Timestamps and bigints as the SQLite adapter returns them: numbers, not Date or string.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === 20 || oid === 1700 || oid === 701 || oid === 700) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  };
  const pool = new pg.Pool({ connectionString: url, max: 4, types: types as never });
  pool.on('error', () => { /* a dropped idle connection is replaced on the next query */ });
  await pool.query('SELECT 1');
  const renumbered = new Map<string, string>();
  const all = async <Row>(sql: string, params: readonly unknown[] = []) => {
    let text = renumbered.get(sql);
    if (text === undefined) renumbered.set(sql, text = numberPlaceholders(sql));
    const result = await pool.query(text, params as unknown[]);
    return result.rows as Row[];
  };
  const safeUrl = new URL(url);
  safeUrl.password = '';
  return {
    dialect: 'postgresql',
    description: safeUrl.toString(),
    all,
    async changeToken() {
      const [row] = await all<Record<string, unknown>>(CHANGE_TOKEN_SQL);
      return JSON.stringify(row);
    },
    async close() {
      await pool.end();
    },
  };
}

// Only running workflows change (their recorder moves time_last_update every second and adds
// rows): per running run, the newest row of each table, read backwards on its (run_id, timestamp) index.
const CHANGE_TOKEN_SQL = `SELECT
  (SELECT count(*) FROM workflow) AS runs,
  (SELECT count(*) FROM workflow WHERE time_completed IS NULL) AS running,
  (SELECT max(time_last_update) FROM workflow WHERE time_completed IS NULL) AS workflow,
  (SELECT max(x.t) FROM workflow w CROSS JOIN LATERAL (SELECT max("timestamp") AS t FROM status WHERE run_id = w.run_id) x WHERE w.time_completed IS NULL) AS status,
  (SELECT max(x.t) FROM workflow w CROSS JOIN LATERAL (SELECT max("timestamp") AS t FROM block WHERE run_id = w.run_id) x WHERE w.time_completed IS NULL) AS block,
  (SELECT max(x.t) FROM workflow w CROSS JOIN LATERAL (SELECT max("timestamp") AS t FROM resource WHERE run_id = w.run_id) x WHERE w.time_completed IS NULL) AS resource`;
