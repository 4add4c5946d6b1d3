/**
 * The dashboard over PostgreSQL answers as over SQLite: the same monitored workflow recorded
 * in both, every API answer compared; and a running workflow's page updates by itself. Uses PARSL_TEST_POSTGRES_URL, else a throwaway server
 * (scripts/postgres.sh); skipped only when no PostgreSQL server is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDashboardDatabase } from '../../src/dashboard/database.js';
import { LiveUpdates } from '../../src/dashboard/live.js';
import { buildDashboard } from '../../src/dashboard/server.js';
import { app as parslApp, load, ThreadPoolExecutor } from '../../src/index.js';
import { startDashboardCli } from '../dashboard/browser.js';
import { subscribeUpdates, type UpdateStream } from '../dashboard/event-stream.js';
import { tempDir } from '../helpers.js';
import { usePostgresServer } from './postgres-server.js';
import { runWorkflow } from './monitoring-workflow.js';

const postgres = usePostgresServer();

/** Times and the worker each try ran on differ between two runs of a workflow: compare everything else. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([key]) => !/^(began|completed|lastUpdate|runFrom|runTo|from|to|start|end|invoked|returned|launched|running|timestamp|lastHeartbeat|meanSeconds|p95Seconds|buckets|hosts|apps|cpu|rss|rundir|runId|sliceSeconds|sampled|resources|submitted|started|finished|history|durationTries|workerId|lane|hostname|managerId)$/.test(key))
      .map(([key, v]) => [key, withoutTimes(v)]));
  }
  return value;
}

test('every API answer over PostgreSQL matches the one over SQLite for the same workflow', async (t) => {
  if (postgres.unavailable) return t.skip(postgres.unavailable);
  const answers: Record<string, unknown>[] = [];
  for (const dbUrl of [undefined, postgres.url]) {
    const dir = tempDir();
    const dfk = await load({
      executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'), retries: 1,
      monitoring: { dbUrl, resourceMonitoringInterval: 0.2 },
    });
    let ids;
    try {
      ids = await runWorkflow(dfk, dir);
    } finally {
      await dfk.cleanup();
    }
    const db = await openDashboardDatabase(dbUrl ?? join(dir, 'runinfo', 'monitoring.db'));
    const app = buildDashboard({ db, live: new LiveUpdates(db, 500) });
    try {
      const api = `/api/workflow/${dfk.runId}`;
      const answer: Record<string, unknown> = {};
      for (const path of ['summary', 'apps', 'timeline', 'tasks-over-time', 'resources', 'graph', 'failures?state=failed&page=0',
        'failures?state=dep_fail&page=0', 'blocks', `task/${ids.flaky}`, `task/${ids.broken}`]) {
        const response = await app.inject(`${api}/${path}`);
        assert.equal(response.statusCode, 200, `${path} over ${dbUrl ? 'PostgreSQL' : 'SQLite'}: ${response.body}`);
        const body = JSON.parse(response.body);
        // Tries appear in the order they started, which varies from run to run.
        if (path === 'timeline') body.bars.sort((a: { taskId: number; tryId: number }, b: { taskId: number; tryId: number }) => a.taskId - b.taskId || a.tryId - b.tryId);
        answer[path] = withoutTimes(body);
      }
      answer['tries drawn'] = JSON.parse((await app.inject(`${api}/timeline`)).body).bars.length;
      answers.push(answer);
    } finally {
      await app.close();
      await db.close();
    }
  }
  assert.deepEqual(answers[1], answers[0]);
  assert.equal(answers[0]!['tries drawn'], 9);
});

const square = parslApp(function square(x: number) { return x * x; });

test('`parsl-ts dashboard --db postgresql://…`: a running workflow\'s page gets each new count as the recorder writes it, and its end', { timeout: 120_000 }, async (t) => {
  if (postgres.unavailable) return t.skip(postgres.unavailable);
  const dir = tempDir();
  const dfk = await load({
    executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'),
    monitoring: { dbUrl: postgres.url, resourceMonitoringEnabled: false },
  });
  let dashboard: Awaited<ReturnType<typeof startDashboardCli>> | undefined;
  let updates: UpdateStream | undefined;
  try {
    await Promise.all([1, 2].map((i) => square(i)));
    dashboard = await startDashboardCli(postgres.url!);
    updates = await subscribeUpdates(dashboard.url, dfk.runId);
    const first = await updates.until((pulse) => pulse.states['exec_done'] === 2);
    assert.equal(first.state, 'running');
    let expected = 2;
    for (const batch of [3, 10]) {
      await Promise.all(Array.from({ length: batch }, (_, i) => square(i)));
      const returned = Date.now();
      expected += batch;
      // Events already received are read in order: none is missed by waiting after the tasks.
      const pulse = await updates.until((p) => p.states['exec_done'] === expected);
      assert.equal(pulse.state, 'running');
      process.stderr.write(`dashboard over PostgreSQL: ${expected} done seen ${Date.now() - returned} ms after the tasks returned\n`);
    }
    await dfk.cleanup();
    assert.equal((await updates.until((pulse) => pulse.state !== 'running')).state, 'completed');
  } finally {
    updates?.close();
    await dashboard?.stop();
    await dfk.cleanup();
  }
});
