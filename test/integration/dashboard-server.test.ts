/** `parsl-ts dashboard` as a user starts it: errors, and live updates over server-sent events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDashboardCli } from '../dashboard/browser.js';
import { subscribeUpdates, type UpdateStream } from '../dashboard/event-stream.js';
import { fixtureDb, T0 } from '../dashboard/fixture.js';

const BIN = fileURLToPath(new URL('../../bin/parsl-ts.js', import.meta.url));

test('parsl-ts dashboard without a database says where it looked and exits 1', () => {
  const result = spawnSync(process.execPath, [BIN, 'dashboard', '--db', '/nonexistent/monitoring.db', '--port', '0'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /parsl-ts dashboard: no monitoring database at \/nonexistent\/monitoring\.db/);
});

test('a workflow page\'s event stream sends the run\'s new counts when the recorder writes', { timeout: 60_000 }, async () => {
  const fixture = fixtureDb();
  fixture.insert('workflow', { run_id: 'r', time_last_update: Date.now() / 1000 });
  fixture.insert('task', [0, 1].map((id) => ({ run_id: 'r', task_id: id, task_status_name: 'running' as const })));
  const dashboard = await startDashboardCli(fixture.path);
  let updates: UpdateStream | undefined;
  try {
    updates = await subscribeUpdates(dashboard.url, 'r');
    assert.deepEqual((await updates.next()).states, { running: 2 }, 'the counts as the page subscribes');
    const changed = Date.now();
    fixture.db.prepare("UPDATE task SET task_status_name = 'exec_done' WHERE run_id = 'r' AND task_id = 0").run();
    const update = await updates.next();
    assert.deepEqual(update.states, { running: 1, exec_done: 1 });
    assert.equal(update.state, 'running');
    process.stderr.write(`dashboard: update event ${Date.now() - changed} ms after the write\n`);
    fixture.db.prepare('UPDATE workflow SET time_completed = ? WHERE run_id = ?').run(T0 + 10, 'r');
    assert.equal((await updates.next()).state, 'completed');
  } finally {
    updates?.close();
    await dashboard.stop();
    fixture.close();
  }
});
