/**
 * A PostgreSQL server for a test file: the one named by PARSL_TEST_POSTGRES_URL (CI starts
 * one), else a throwaway one started with scripts/postgres.sh and stopped after the file.
 * `unavailable` says why tests must skip: only when no PostgreSQL server is installed.
 */
import { after, before } from 'node:test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('../../scripts/postgres.sh', import.meta.url).pathname;

export interface PostgresServer {
  url: string | undefined;
  unavailable: string | undefined;
}

/** Registers the file's before/after hooks; read the fields inside tests. */
export function usePostgresServer(): PostgresServer {
  const server: PostgresServer = { url: process.env['PARSL_TEST_POSTGRES_URL'], unavailable: undefined };
  let serverDir: string | undefined;
  before(() => {
    if (server.url !== undefined) return;
    // Directly under /tmp: the server runs as the postgres user, who cannot enter our 0700 temp dirs.
    serverDir = join(tmpdir(), `parsl-ts-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      server.url = execFileSync(SCRIPT, ['up', serverDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (error) {
      if ((error as { status?: number }).status === 3) server.unavailable = 'no PostgreSQL server is installed (apt-get install postgresql)';
      else throw error;
    }
  });
  after(() => {
    if (serverDir !== undefined) execFileSync(SCRIPT, ['down', serverDir], { stdio: 'ignore' });
  });
  return server;
}
