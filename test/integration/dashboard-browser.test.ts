/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core), over the
 * monitoring database of real monitored workflows: a small HTEX workflow with a retried
 * task, a failing one and its dependant, then a threads workflow that runs while the page
 * is open. Checks what a person sees, and saves the screenshots docs/monitoring.md shows.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { app, load, ThreadPoolExecutor } from '../../src/index.js';
import { chromiumMissing, launchBrowser, startDashboardCli, type DashboardProcess } from '../dashboard/browser.js';
import { startHtex, waitFor, htexProcesses } from './htex-helpers.js';
import { runWorkflow, type WorkflowIds } from './monitoring-workflow.js';

// What the page functions below see when they run in the browser (the project's types have no DOM).
declare const document: { body: { dataset: Record<string, string | undefined> }; querySelector(s: string): { textContent: string | null } | null; getElementById(id: string): { textContent: string | null; dataset: Record<string, string | undefined> } | null };
declare const window: Record<string, unknown>;

const SCREENSHOTS = fileURLToPath(new URL('../../docs/img/', import.meta.url));
const LIVE_TASKS = 40;

/** Sleeps `ms` in its worker without spinning. */
const nap = app(function nap(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
});

async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset['loaded'], null, { timeout: 30_000 });
}

const count = (page: Page, key: string) => page.locator(`[data-count="${key}"] .n`).innerText().then((text) => Number(text.replace(/,/g, '')));

describe('the dashboard in Chromium', { skip: chromiumMissing, timeout: 180_000 }, () => {
  let dir: string;
  let runId: string;
  let ids: WorkflowIds;
  let dashboard: DashboardProcess;
  let browser: BrowserContext;
  let page: Page;

  before(async () => {
    const run = await startHtex({}, {}, {
      retries: 1, monitoring: { resourceMonitoringInterval: 0.2, workflowName: 'dashboard-demo', workflowVersion: '1.0' },
    });
    dir = run.dir;
    try {
      ids = await runWorkflow(run.dfk, run.dir);
    } finally {
      await run.dfk.cleanup();
    }
    await waitFor(() => htexProcesses().length === 0, 5000, 'no manager or worker left after cleanup');
    runId = run.dfk.runId;
    dashboard = await startDashboardCli(join(dir, 'runinfo', 'monitoring.db'));
    browser = await launchBrowser();
    page = await browser.newPage();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await dashboard?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the workflow with its state and counts', async () => {
    await open(page, dashboard.url);
    const row = page.locator(`tr[data-run="${runId}"]`);
    assert.match(await row.innerText(), /dashboard-demo/);
    assert.equal(await row.locator('.badge').innerText(), 'completed');
    const cells = await row.locator('td.num').allInnerTexts();
    assert.deepEqual(cells, ['8', '6', '2'], 'tasks, done, failed');
  });

  it('shows the workflow: counts, apps, timeline bars, graph nodes and failures with their errors', async () => {
    await open(page, `${dashboard.url}/workflow/${runId}`);
    assert.equal(await count(page, 'tasks'), 8);
    assert.equal(await count(page, 'exec_done'), 6);
    assert.equal(await count(page, 'failed'), 1);
    assert.equal(await count(page, 'dep_fail'), 1);
    assert.equal(await count(page, 'retries'), 2, 'flaky and broken each ran twice');

    const appRow = async (name: string) => (await page.locator(`#apps-table tr[data-app="${name}"] td`).allInnerTexts());
    assert.deepEqual((await appRow('double')).slice(0, 5), ['double', '4', '3', '0', '1']);
    assert.deepEqual((await appRow('broken')).slice(0, 5), ['broken', '1', '0', '1', '0']);
    assert.match((await appRow('busy'))[5]!, /^1\.\d+ s$/, 'the 1 s task\'s mean run time');

    // Nine tries ran (the dep_fail task never did): six succeeded, two failed and were retried
    // (flaky's first, broken's first) and one failed for good — as many bars of each colour.
    assert.equal(await page.locator('#timeline-chart').getAttribute('data-bars'), '9');
    const bars = await page.locator('#timeline-chart svg path').evaluateAll((paths) => {
      const fills: Record<string, number> = {};
      for (const path of paths) {
        const fill = path.getAttribute('fill') ?? '';
        fills[fill] = (fills[fill] ?? 0) + 1;
      }
      return fills;
    });
    assert.equal(bars['#16a34a'], 6, `green bars (exec_done): ${JSON.stringify(bars)}`);
    assert.equal(bars['#a855f7'], 2, `purple bars (failed and retried: fail_retryable): ${JSON.stringify(bars)}`);
    assert.equal(bars['#dc2626'], 1, 'a red bar (the last try of the failed task)');

    const graph = await page.evaluate(() => {
      const cy = window['dashboardGraph'] as { nodes(): { length: number; map<T>(f: (n: { data(k: string): unknown }) => T): T[] }; edges(): { length: number } };
      return { nodes: cy.nodes().length, edges: cy.edges().length, colours: Object.fromEntries(cy.nodes().map((n) => [n.data('taskId'), n.data('colour')])) };
    });
    assert.equal(graph.nodes, 8);
    assert.equal(graph.edges, 4, 'sum waits on three doubles, the dep_fail task on broken');
    assert.equal(graph.colours[ids.broken], '#dc2626');
    assert.equal(graph.colours[ids.depFail], '#f59e0b');
    assert.equal(graph.colours[ids.sum], '#16a34a');

    const failed = page.locator(`#failures-table tr[data-task="${ids.broken}"]`);
    const text = await failed.innerText();
    assert.match(text, /TypeError: always broken/);
    assert.equal((text.match(/try \d: failed|try \d: fail_retryable/g) ?? []).length, 2, `both tries in its history: ${text}`);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-workflow.png'), fullPage: true });

    await page.click('#failures .tabs button[data-state="dep_fail"]');
    await page.locator(`#failures-table tr[data-task="${ids.depFail}"]`).waitFor();
    assert.match(await page.locator(`#failures-table tr[data-task="${ids.depFail}"]`).innerText(), new RegExp(`a dependency failed \\(waited on task ${ids.broken}\\)`));
  });

  it('shows a task: its tries with errors, state history and resource samples', async () => {
    await open(page, `${dashboard.url}/workflow/${runId}/task/${ids.flaky}`);
    const tries = await page.locator('#tries-table tbody tr').allInnerTexts();
    assert.equal(tries.length, 2);
    assert.match(tries[0]!, /fail_retryable[\s\S]*RangeError: first try fails/);
    assert.match(tries[1]!, /exec_done/);
    const states = await page.locator('#history-table tbody tr td:nth-child(2)').allInnerTexts();
    assert.deepEqual(states.filter((s) => s !== 'pending'), ['launched', 'running', 'fail_retryable', 'launched', 'running', 'exec_done']);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-task.png'), fullPage: true });

    await open(page, `${dashboard.url}/workflow/${runId}/task/${ids.busy}`);
    // The page says how many samples the recorder wrote for the 1 s task (the chart draws them).
    const samples = await page.evaluate(async (url) => ((await (await fetch(url)).json()) as { resources: unknown[] }).resources.length, `${dashboard.url}/api/workflow/${runId}/task/${ids.busy}`);
    assert.equal(await page.locator('#task-resources-note').innerText(), samples > 0 ? `${samples} samples` : 'no samples (the task ran for less than the sampling interval, or resource monitoring is off)');
  });

  it('shows the blocks: states over time and their nodes', async () => {
    await open(page, `${dashboard.url}/workflow/${runId}/blocks`);
    const row = await page.locator('#blocks-table tr[data-block="0"]').innerText();
    assert.match(row, /CANCELLED/);
    assert.match(row, /PENDING[\s\S]*RUNNING/);
    assert.match(row, /2 workers/);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-blocks.png'), fullPage: true });
  });

  it('follows a running workflow live: it is marked live and its counter moves without a reload', async () => {
    const dfk = await load({
      executors: [new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 })], runDir: join(dir, 'runinfo'),
      monitoring: { workflowName: 'live-demo' },
    });
    try {
      const futures = Array.from({ length: LIVE_TASKS }, () => nap(150));
      await open(page, dashboard.url);
      const liveRow = page.locator(`tr[data-run="${dfk.runId}"]`);
      await liveRow.waitFor({ timeout: 10_000 });
      assert.equal(await liveRow.locator('.badge').innerText(), 'live');
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-workflows.png') });

      await open(page, `${dashboard.url}/workflow/${dfk.runId}`);
      await page.evaluate(() => { window['sameDocument'] = true; });
      const before = await count(page, 'exec_done');
      assert.ok(before < LIVE_TASKS, `opened while running (${before} done)`);
      await page.waitForFunction((n) => Number(document.querySelector('[data-count="exec_done"] .n')?.textContent?.replace(/,/g, '')) > n, before, { timeout: 15_000 });
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-live.png') });
      await Promise.all(futures);
      await page.waitForFunction((n) => Number(document.querySelector('[data-count="exec_done"] .n')?.textContent?.replace(/,/g, '')) === n, LIVE_TASKS, { timeout: 15_000 });
      assert.equal(await page.evaluate(() => window['sameDocument']), true, 'updated in place, not reloaded');
      // The charts follow within a refresh (at most one a second) of the last change.
      await page.waitForFunction((n) => document.getElementById('timeline-chart')?.dataset['bars'] === String(n), LIVE_TASKS, { timeout: 15_000 });
    } finally {
      await dfk.cleanup();
    }
    await page.waitForFunction(() => document.getElementById('wf-state')?.textContent === 'completed', null, { timeout: 15_000 });
  });
});
