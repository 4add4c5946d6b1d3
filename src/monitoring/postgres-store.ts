/**
 * The PostgreSQL adapter (`pg`), for `dbUrl: 'postgresql://…'`: one connection, one
 * transaction per batch. A lost connection is opened again on the next write.
 */
import pg from 'pg';
import { TABLES, createSchemaStatements, type TableName } from './schema.js';
import { forEachChunk, insertSql, type MonitoringStore, type RowBatch } from './store.js';

/** PostgreSQL allows 65,535 parameters in one statement. */
const MAX_PARAMETERS = 60_000;
/** Serializes schema creation between runs starting at once (CREATE … IF NOT EXISTS races otherwise). */
const SCHEMA_LOCK_KEY = 0x7061_7273; // 'pars'
const CONNECT_TIMEOUT_MS = 5000;

/** The URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgresql://…';
  }
}

export class PostgresStore implements MonitoringStore {
  #client: pg.Client | undefined;

  constructor(readonly url: string) {}

  get description(): string {
    return redactUrl(this.url);
  }

  async open(): Promise<void> {
    await this.close();
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // A dropped connection is noticed by the next write; an 'error' event must not crash the thread.
    client.on('error', () => { if (this.#client === client) this.#client = undefined; });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      for (const statement of createSchemaStatements('postgresql')) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.#client = client;
  }

  async write(batch: RowBatch): Promise<void> {
    if (this.#client === undefined) await this.open();
    const client = this.#client!;
    const statements: { table: TableName; rows: number; params: unknown[] }[] = [];
    forEachChunk(batch, (table) => Math.max(1, Math.floor(MAX_PARAMETERS / columnsOf(table))), (table, rows, params) => {
      statements.push({ table, rows, params });
    });
    try {
      await client.query('BEGIN');
      for (const { table, rows, params } of statements) await client.query(insertSql('postgresql', table, rows), params);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // Start from a fresh connection next time: this one may be broken.
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}

function columnsOf(table: TableName): number {
  return TABLES[table].columns.length;
}
