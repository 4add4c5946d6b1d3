/** The dashboard's routes, through fastify's inject (no socket). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDashboardDatabase } from '../../src/dashboard/database.js';
import { LiveUpdates } from '../../src/dashboard/live.js';
import { buildDashboard } from '../../src/dashboard/server.js';
import { fixtureDb, T0 } from './fixture.js';

test('pages, their API, the chart libraries from node_modules, and 404s', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: 'r<1>', time_completed: T0 + 1 });
  fixture.insert('task', { run_id: 'r<1>', task_id: 0, task_status_name: 'exec_done' });
  const db = await openDashboardDatabase(fixture.path);
  const live = new LiveUpdates(db, 500);
  const app = buildDashboard({ db, live });
  try {
    const page = await app.inject('/workflow/r%3C1%3E');
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /data-run="r&lt;1&gt;"/, 'the run id, escaped');
    assert.match(page.body, /<script src="\/vendor\/echarts\.min\.js"><\/script>/);
    assert.match(page.body, /<script src="\/vendor\/cytoscape\.min\.js"><\/script>/);
    for (const path of ['/', '/workflow/x/blocks', '/workflow/x/task/3']) assert.equal((await app.inject(path)).statusCode, 200, path);
    assert.equal((await app.inject('/workflow/x/task/abc')).statusCode, 404);
    assert.equal((await app.inject('/nothing')).statusCode, 404);

    const summary = await app.inject('/api/workflow/r%3C1%3E/summary');
    assert.deepEqual(JSON.parse(summary.body).states, { exec_done: 1 });
    assert.equal((await app.inject('/api/workflow/unknown/summary')).statusCode, 404);
    assert.equal(JSON.parse((await app.inject('/api/workflows')).body)[0].runId, 'r<1>');

    const echarts = await app.inject('/vendor/echarts.min.js');
    assert.equal(echarts.statusCode, 200);
    assert.ok(echarts.body.length > 500_000 && echarts.body.includes('echarts'), 'the real library');
    assert.equal((await app.inject('/vendor/other.js')).statusCode, 404);
    assert.equal((await app.inject('/static/workflow.js')).statusCode, 200);
    assert.equal((await app.inject('/static/..%2Fserver.ts')).statusCode, 404, 'only the client scripts');
  } finally {
    await app.close();
    await db.close();
    fixture.close();
  }
});

test('an API answer is recomputed once the database changes, and only then', async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: 'r' });
  fixture.insert('task', { run_id: 'r', task_id: 0, task_status_name: 'running' });
  const db = await openDashboardDatabase(fixture.path);
  const app = buildDashboard({ db, live: new LiveUpdates(db, 500) });
  try {
    const states = async () => JSON.parse((await app.inject('/api/workflow/r/summary')).body).states;
    assert.deepEqual(await states(), { running: 1 });
    fixture.db.prepare("UPDATE task SET task_status_name = 'exec_done' WHERE run_id = 'r'").run();
    assert.deepEqual(await states(), { exec_done: 1 });
  } finally {
    await app.close();
    await db.close();
    fixture.close();
  }
});
