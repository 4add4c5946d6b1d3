/**
 * The dashboard's web server (fastify): HTML pages, the JSON API they read, the live event
 * stream, and the chart and graph libraries served from node_modules (no CDN: it works
 * on a cluster's login node without internet).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { DashboardDatabase } from './database.js';
import { LiveUpdates } from './live.js';
import { blocksPage, notFoundPage, taskPage, workflowPage, workflowsPage } from './pages.js';
import { dependencyGraph, resourcesOverTime, tasksOverTime, timeline } from './queries/charts.js';
import { blocks, failures, taskDetail } from './queries/details.js';
import { appTable, listWorkflows, workflowSummary } from './queries/workflows.js';
import { DASHBOARD_CSS } from './style.js';

export interface DashboardOptions {
  db: DashboardDatabase;
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1 (the data may be private: expose it on purpose). */
  host?: string;
  /** How often the live poller looks for changes (ms). Default 500. */
  pollMs?: number;
}

export interface RunningDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const VENDOR: Record<string, string> = {
  'echarts.min.js': require.resolve('echarts/dist/echarts.min.js'),
  'cytoscape.min.js': require.resolve('cytoscape/dist/cytoscape.min.js'),
};
const CLIENT_DIR = fileURLToPath(new URL('./client/', import.meta.url));
const CLIENT_SCRIPTS = new Set(['common.js', 'workflows.js', 'workflow.js', 'blocks.js', 'task.js']);

/** API responses, kept until the database changes (the change token is O(1) on SQLite). */
class ResponseCache {
  readonly #entries = new Map<string, { token: string; body: string }>();
  constructor(private readonly limit = 200) {}

  async get(db: DashboardDatabase, key: string, compute: () => Promise<unknown>): Promise<string | undefined> {
    const token = await db.changeToken();
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.token === token) return hit.body;
    const value = await compute();
    if (value === undefined) return undefined;
    const body = JSON.stringify(value);
    this.#entries.delete(key);
    this.#entries.set(key, { token, body });
    if (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value!);
    return body;
  }
}

function finiteOrUndefined(value: unknown): number | undefined {
  const n = Number(value);
  return value === undefined || value === '' || !Number.isFinite(n) ? undefined : n;
}

export function buildDashboard(options: DashboardOptions & { live: LiveUpdates }): FastifyInstance {
  const { db, live } = options;
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const cache = new ResponseCache();

  const html = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(body);
  const json = async (reply: FastifyReply, key: string, compute: () => Promise<unknown>) => {
    const body = await cache.get(db, key, compute);
    if (body === undefined) return reply.code(404).type('application/json').send({ error: 'not found' });
    return reply.type('application/json').header('cache-control', 'no-cache').send(body);
  };

  app.get('/', (_request, reply) => html(reply, workflowsPage()));
  app.get<{ Params: { runId: string } }>('/workflow/:runId', (request, reply) => html(reply, workflowPage(request.params.runId)));
  app.get<{ Params: { runId: string } }>('/workflow/:runId/blocks', (request, reply) => html(reply, blocksPage(request.params.runId)));
  app.get<{ Params: { runId: string; taskId: string } }>('/workflow/:runId/task/:taskId', (request, reply) => {
    const taskId = Number(request.params.taskId);
    if (!Number.isInteger(taskId)) return html(reply, notFoundPage(`no task ${request.params.taskId}`), 404);
    return html(reply, taskPage(request.params.runId, taskId));
  });

  app.get('/api/workflows', async (_request, reply) => reply.type('application/json').header('cache-control', 'no-cache').send(await listWorkflows(db)));
  type RunRoute = { Params: { runId: string }; Querystring: Record<string, string | undefined> };
  app.get<RunRoute>('/api/workflow/:runId/summary', (request, reply) => json(reply, request.url, () => workflowSummary(db, request.params.runId)));
  app.get<RunRoute>('/api/workflow/:runId/apps', (request, reply) => json(reply, request.url, () => appTable(db, request.params.runId)));
  app.get<RunRoute>('/api/workflow/:runId/timeline', (request, reply) => json(reply, request.url, () =>
    timeline(db, request.params.runId, finiteOrUndefined(request.query['from']), finiteOrUndefined(request.query['to']))));
  app.get<RunRoute>('/api/workflow/:runId/tasks-over-time', (request, reply) => json(reply, request.url, () => tasksOverTime(db, request.params.runId)));
  app.get<RunRoute>('/api/workflow/:runId/resources', (request, reply) => json(reply, request.url, () => resourcesOverTime(db, request.params.runId)));
  app.get<RunRoute>('/api/workflow/:runId/graph', (request, reply) => json(reply, request.url, () => dependencyGraph(db, request.params.runId)));
  app.get<RunRoute>('/api/workflow/:runId/failures', (request, reply) => {
    const state = request.query['state'] === 'dep_fail' ? 'dep_fail' : 'failed';
    const page = Math.max(0, Math.floor(finiteOrUndefined(request.query['page']) ?? 0));
    return json(reply, request.url, () => failures(db, request.params.runId, state, page));
  });
  app.get<RunRoute>('/api/workflow/:runId/blocks', (request, reply) => json(reply, request.url, () => blocks(db, request.params.runId)));
  app.get<{ Params: { runId: string; taskId: string } }>('/api/workflow/:runId/task/:taskId', (request, reply) => {
    const taskId = Number(request.params.taskId);
    // Not cached: stdout/stderr files change without the database changing.
    return taskDetail(db, request.params.runId, taskId).then((detail) => detail === undefined
      ? reply.code(404).send({ error: 'not found' })
      : reply.type('application/json').header('cache-control', 'no-cache').send(JSON.stringify(detail)));
  });

  app.get<{ Querystring: { run?: string } }>('/api/events', (request, reply) => {
    reply.hijack();
    live.subscribe(request.query.run || undefined, reply.raw);
  });

  app.get<{ Params: { file: string } }>('/vendor/:file', async (request, reply) => {
    const path = VENDOR[request.params.file];
    if (path === undefined) return reply.code(404).send();
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(await readFile(path));
  });
  app.get('/static/dashboard.css', (_request, reply) => reply.type('text/css; charset=utf-8').send(DASHBOARD_CSS));
  app.get<{ Params: { file: string } }>('/static/:file', async (request, reply) => {
    const file = basename(request.params.file);
    if (!CLIENT_SCRIPTS.has(file)) return reply.code(404).send();
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(await readFile(CLIENT_DIR + file));
  });
  app.get('/favicon.ico', (_request, reply) => reply.code(204).send());
  app.setNotFoundHandler((request, reply) => html(reply, notFoundPage(`nothing at ${request.url}`), 404));
  return app;
}

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const live = new LiveUpdates(options.db, options.pollMs ?? 500);
  const app = buildDashboard({ ...options, live });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 8080, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 8080;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    async close() {
      live.close();
      await app.close();
    },
  };
}
