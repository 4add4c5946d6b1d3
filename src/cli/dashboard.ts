/**
 * `parsl-ts dashboard [--db URL] [--port N]`: the monitoring web UI over a monitoring
 * database (SQLite file or `postgresql://` URL), until Ctrl-C.
 */
import { Command, InvalidArgumentError } from 'commander';

export const DEFAULT_DASHBOARD_DB = './runinfo/monitoring.db';
export const DEFAULT_DASHBOARD_PORT = 8080;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number (0–65535; 0 picks a free one)');
  return n;
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('serve the monitoring dashboard (workflows, tasks, blocks, resources; live while a workflow runs)')
    .option('--db <url>', 'monitoring database: a SQLite file (or sqlite:///path) or a postgresql:// URL', DEFAULT_DASHBOARD_DB)
    .option('--port <n>', 'port to listen on', port, DEFAULT_DASHBOARD_PORT)
    .option('--host <address>', 'address to listen on (0.0.0.0 to let other machines in)', '127.0.0.1')
    .action(async (options: { db: string; port: number; host: string }) => {
      // Loaded here, not at the top: the other commands start without fastify and the drivers.
      const { openDashboardDatabase } = await import('../dashboard/database.js');
      const { startDashboard } = await import('../dashboard/server.js');
      let db;
      try {
        db = await openDashboardDatabase(options.db);
      } catch (error) {
        process.stderr.write(`parsl-ts dashboard: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const dashboard = await startDashboard({ db, port: options.port, host: options.host });
      process.stdout.write(`parsl-ts dashboard: ${db.description} at ${dashboard.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await dashboard.close();
      await db.close();
    });
}
