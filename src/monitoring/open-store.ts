/** Picks the database adapter for a `dbUrl`: SQLite by path or `sqlite:///`, PostgreSQL by `postgresql://`. */
import { resolve } from 'node:path';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { MonitoringStore } from './store.js';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** `sqlite:///abs/path.db` (Parsl's form), `sqlite:///rel.db` as in SQLAlchemy, or a plain path → absolute path. */
export function sqlitePath(url: string): string {
  const match = /^sqlite:\/\/(\/.*)$/i.exec(url);
  if (match === null) return resolve(url);
  // SQLAlchemy: three slashes is a relative path, four an absolute one.
  const rest = match[1]!;
  return rest.startsWith('//') ? rest.slice(1) : resolve(rest.slice(1));
}

export function openStore(dbUrl: string): MonitoringStore {
  return isPostgresUrl(dbUrl) ? new PostgresStore(dbUrl) : new SqliteStore(sqlitePath(dbUrl));
}
