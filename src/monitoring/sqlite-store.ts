/**
 * The SQLite adapter (`better-sqlite3`): one file per run dir shared by all its runs, in WAL
 * mode so that readers (the dashboard, a `sqlite3` shell, even one holding a read
 * transaction open) never block a write and never see half a batch.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createSchemaStatements, type TableName } from './schema.js';
import { forEachChunk, insertSql, type MonitoringStore, type RowBatch } from './store.js';

/** Rows per INSERT statement (SQLite allows 32,766 parameters; the widest table has 18 columns). */
const ROWS_PER_STATEMENT = 64;
/** How long one write waits on another writer's lock before giving up (and retrying later). */
const BUSY_TIMEOUT_MS = 250;

export class SqliteStore implements MonitoringStore {
  #db: Database.Database | undefined;
  #statements = new Map<string, Database.Statement>();

  constructor(readonly path: string) {}

  get description(): string {
    return this.path;
  }

  async open(): Promise<void> {
    await this.close();
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path, { timeout: BUSY_TIMEOUT_MS });
    try {
      db.pragma('journal_mode = WAL');
      // WAL with synchronous=NORMAL is safe against corruption; a power cut may lose the last batch.
      db.pragma('synchronous = NORMAL');
      db.transaction(() => { for (const statement of createSchemaStatements('sqlite')) db.exec(statement); })();
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;
  }

  #statement(table: TableName, rows: number): Database.Statement {
    const key = `${table}:${rows}`;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      statement = this.#db!.prepare(insertSql('sqlite', table, rows));
      this.#statements.set(key, statement);
    }
    return statement;
  }

  async write(batch: RowBatch): Promise<void> {
    if (this.#db === undefined) await this.open();
    this.#db!.transaction(() => {
      forEachChunk(batch, () => ROWS_PER_STATEMENT, (table, rows, params) => {
        this.#statement(table, rows).run(params);
      });
    }).immediate();
  }

  async close(): Promise<void> {
    this.#statements.clear();
    const db = this.#db;
    this.#db = undefined;
    if (db?.open) db.close();
  }
}
