/**
 * The SQLite adapter (`better-sqlite3`): one file per run dir shared by all its runs, in WAL
 * mode so that readers (the dashboard, a `sqlite3` shell, even one holding a read
 * transaction open) never block a write and never see half a batch.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { OLD_NODE_KEY, createSchemaStatements, type TableName } from './schema.js';
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
      db.transaction(() => {
        const oldNode = upgradeOldNodeTable(db);
        for (const statement of createSchemaStatements('sqlite')) db.exec(statement);
        if (oldNode) db.exec(`INSERT INTO "node" SELECT * FROM "${oldNode}"; DROP TABLE "${oldNode}"`);
      })();
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

/**
 * A `node` table of parsl-ts 0.1 (one row per manager, a key SQLite cannot drop) is moved
 * aside with its indexes dropped, so that the schema statements create the current one;
 * returns the old table's name, whose rows then go into the new one.
 */
function upgradeOldNodeTable(db: Database.Database): string | undefined {
  const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'node'").get() as { sql: string } | undefined;
  if (table === undefined || !table.sql.includes(OLD_NODE_KEY)) return undefined;
  const aside = 'node_parsl_ts_0_1';
  db.exec(`ALTER TABLE "node" RENAME TO "${aside}"`);
  const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(aside) as { name: string }[];
  for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
  return aside;
}
