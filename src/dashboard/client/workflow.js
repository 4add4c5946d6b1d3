// A workflow's page: counts, apps, timeline, tasks over time, resources, dependency graph
// and failures — refreshed live while the workflow runs.
import {
  api, chartOn, escapeHtml, formatBytes, formatClock, formatCount, formatDuration, formatTime, markLoaded,
  panelError, runApi, runId, setNote, stateCell, stateColour, subscribe, taskLink, throttled,
} from './common.js';

const COUNT_CARDS = [
  ['tasks', 'tasks'], ['exec_done', 'done'], ['memo_done', 'from cache'], ['running', 'running'],
  ['launched', 'launched'], ['pending', 'waiting'], ['failed', 'failed'], ['dep_fail', 'dep. failed'],
  ['retries', 'retries'], ['blocks', 'blocks'], ['nodes', 'nodes'],
];

// --- Summary and live counter ---

let summary;

function renderCounts(states, extra) {
  const values = { ...states, ...extra };
  document.getElementById('counts').innerHTML = COUNT_CARDS
    .filter(([key]) => values[key] !== undefined || ['tasks', 'exec_done', 'failed', 'running'].includes(key))
    .map(([key, label]) => `<div class="count ${key}" data-count="${key}"><div class="n">${formatCount(values[key] ?? 0)}</div><div class="label">${label}</div></div>`)
    .join('');
}

function renderSummary() {
  const w = summary.workflow;
  document.getElementById('wf-title').innerHTML = `${escapeHtml(w.name ?? 'workflow')} <span id="wf-state" class="badge ${w.state}">${w.state === 'running' ? 'live' : w.state}</span>`;
  const end = w.completed ?? (w.state === 'running' ? Date.now() / 1000 : w.lastUpdate ?? w.began);
  document.getElementById('wf-meta').innerHTML = [
    `run ${escapeHtml(w.runId)}`, w.version ? `version ${escapeHtml(w.version)}` : '', `began ${formatTime(w.began)}`,
    `${w.completed ? 'took' : 'running for'} ${formatDuration(end - w.began)}`, `${escapeHtml(w.user)}@${escapeHtml(w.host)}`, escapeHtml(w.rundir),
  ].filter(Boolean).map((item) => `<span>${item}</span>`).join('');
  renderCounts(summary.states, { tasks: summary.tasks, retries: summary.retries, blocks: summary.blocks || undefined, nodes: summary.nodes || undefined });
}

async function loadSummary() {
  summary = await api(runApi('summary'));
  renderSummary();
}

function applyPulse(pulse) {
  if (!summary) return;
  summary.states = pulse.states;
  summary.tasks = pulse.tasks;
  summary.workflow.state = pulse.state;
  renderSummary();
}

// --- Apps ---

async function loadApps() {
  const table = await api(runApi('apps'));
  document.querySelector('#apps-table tbody').innerHTML = table.apps.map((a) => `<tr data-app="${escapeHtml(a.app)}">
    <td>${escapeHtml(a.app)}</td><td class="num">${formatCount(a.tasks)}</td><td class="num">${formatCount(a.done)}</td>
    <td class="num">${formatCount(a.failed)}</td><td class="num">${formatCount(a.depFailed)}</td>
    <td class="num">${formatDuration(a.meanSeconds)}</td><td class="num">${formatDuration(a.p95Seconds)}</td></tr>`).join('');
  setNote('apps', table.sampled ? `run times from a sample of ${formatCount(table.durationTries)} tries spread over the run` : '');
}

// --- Task timeline ---

let timelineWindow; // [from, to] seconds, once the user has zoomed
let timelineTruncated = false;

async function loadTimeline() {
  const query = timelineWindow ? `?from=${timelineWindow[0]}&to=${timelineWindow[1]}` : '';
  const data = await api(runApi(`timeline${query}`));
  const lanes = [...new Set(data.bars.map((bar) => bar.lane))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const laneIndex = new Map(lanes.map((lane, i) => [lane, i]));
  const now = Date.now();
  const items = data.bars.map((bar) => ({
    name: bar.app,
    value: [laneIndex.get(bar.lane), bar.start * 1000, (bar.end ?? now / 1000) * 1000, bar.taskId, bar.tryId, bar.state ?? 'running'],
    itemStyle: { color: stateColour(bar.end === null ? 'running' : bar.state) },
  }));
  const element = document.getElementById('timeline-chart');
  element.style.height = `${Math.min(Math.max(300, 80 + lanes.length * 14), 1000)}px`;
  const chart = chartOn('timeline-chart');
  chart.resize();
  // The axis spans the whole run; the zoom shows the tries fetched (the latest ones when there are too many).
  const zoom = timelineWindow ?? (data.truncated && items.length > 0 ? [data.bars[0].start, data.runTo] : [data.runFrom, data.runTo]);
  const zoomOption = { xAxisIndex: 0, filterMode: 'weakFilter', startValue: zoom[0] * 1000, endValue: zoom[1] * 1000 };
  chart.setOption({
    animation: false,
    grid: { left: 120, right: 20, top: 10, bottom: 60 },
    tooltip: {
      formatter: (p) => `task ${p.value[3]} (${escapeHtml(p.name)}) try ${p.value[4]}<br>${escapeHtml(p.value[5])} · ${formatDuration((p.value[2] - p.value[1]) / 1000)}<br>${formatClock(p.value[1] / 1000)} → ${formatClock(p.value[2] / 1000)}`,
    },
    xAxis: { type: 'time', min: data.runFrom * 1000, max: Math.max(data.runTo * 1000, ...items.map((item) => item.value[2])) },
    yAxis: { type: 'category', data: lanes, inverse: true, axisLabel: { fontSize: 11 } },
    dataZoom: [{ type: 'slider', bottom: 8, ...zoomOption }, { type: 'inside', ...zoomOption }],
    series: [{
      id: 'tries',
      type: 'custom',
      encode: { x: [1, 2], y: 0 },
      data: items,
      renderItem: (params, apiRender) => {
        const lane = apiRender.value(0);
        const start = apiRender.coord([apiRender.value(1), lane]);
        const end = apiRender.coord([apiRender.value(2), lane]);
        const height = Math.max(apiRender.size([0, 1])[1] * 0.7, 2);
        const shape = window.echarts.graphic.clipRectByRect(
          { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 1), height },
          { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
        return shape && { type: 'rect', shape, style: apiRender.style() };
      },
    }],
  }, { replaceMerge: ['series', 'dataZoom'] });
  chart.off('click');
  chart.on('click', (p) => { if (p.value) window.location.href = taskLink(p.value[3]); });
  timelineTruncated ||= data.truncated;
  chart.off('datazoom');
  if (timelineTruncated) {
    // Too many tries to draw at once: zooming or panning asks the server for that window's.
    chart.on('datazoom', throttled(async () => {
      const { start, end } = chart.getOption().dataZoom[0];
      const span = data.runTo - data.runFrom;
      timelineWindow = [data.runFrom + (span * start) / 100, data.runFrom + (span * end) / 100];
      await loadTimeline();
    }, 500));
  }
  element.dataset.bars = String(items.length);
  setNote('timeline', `${formatCount(items.length)} tries on ${lanes.length} worker${lanes.length === 1 ? '' : 's'}`
    + (data.truncated ? ` — the latest ${formatCount(items.length)} of the period shown; zoom or pan to see others` : ''));
}

// --- Tasks over time ---

function cumulative(values) {
  let total = 0;
  return values.map((v) => (total += v));
}

async function loadOverTime() {
  const data = await api(runApi('tasks-over-time'));
  const times = data.submitted.map((_, i) => (data.buckets.start + (i + 1) * data.buckets.width) * 1000);
  const series = [['submitted', data.submitted, '#94a3b8'], ['started', data.started, '#2563eb'], ['finished', data.finished, '#16a34a']]
    .map(([name, values, color]) => ({ name, type: 'line', showSymbol: false, step: 'end', color, data: cumulative(values).map((v, i) => [times[i], v]) }));
  chartOn('over-time-chart').setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 70, right: 20, top: 30, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: 'tasks (cumulative)' },
    series,
  }, { replaceMerge: ['series'] });
  setNote('over-time', `tasks submitted, tries started and tasks finished, counted in ${formatDuration(data.buckets.width)} buckets`);
}

// --- Resources ---

function resourceChart(id, title, series, times, format) {
  chartOn(id).setOption({
    animation: false,
    title: { text: title, textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', valueFormatter: format },
    legend: { type: 'scroll', top: 22 },
    grid: { left: 70, right: 20, top: 56, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', axisLabel: { formatter: format } },
    series: series.map((s) => ({ name: s.name, type: 'line', showSymbol: s.values.filter((v) => v !== null).length < 30, connectNulls: true, data: s.values.map((v, i) => [times[i], v]) })),
  }, { replaceMerge: ['series'] });
}

async function loadResources() {
  const data = await api(runApi('resources'));
  const times = Array.from({ length: data.buckets.count }, (_, i) => (data.buckets.start + i * data.buckets.width) * 1000);
  const cpu = (v) => (v === null || v === undefined ? '–' : `${Math.round(v)}%`);
  resourceChart('cpu-host-chart', 'CPU per node (100% = one core)', data.hosts.map((s) => ({ name: s.name, values: s.cpu })), times, cpu);
  resourceChart('rss-host-chart', 'Memory per node (resident)', data.hosts.map((s) => ({ name: s.name, values: s.rss })), times, formatBytes);
  resourceChart('cpu-app-chart', 'CPU per app', data.apps.map((s) => ({ name: s.name, values: s.cpu })), times, cpu);
  resourceChart('rss-app-chart', 'Memory per app (resident)', data.apps.map((s) => ({ name: s.name, values: s.rss })), times, formatBytes);
  setNote('resources', data.hosts.length === 0 ? 'no resource samples recorded (resource monitoring off, or tasks shorter than the sampling interval)'
    : data.sampled ? `each point estimated from the samples of ${formatDuration(data.sliceSeconds)} at the start of its ${formatDuration(data.buckets.width)}` : '');
}

// --- Dependency graph ---

let graphSignature = '';

async function loadGraph() {
  const data = await api(runApi('graph'));
  const container = document.getElementById('graph-view');
  const elements = [];
  if (data.grouped) {
    const biggest = Math.max(...data.nodes.map((n) => n.tasks), 1);
    for (const node of data.nodes) {
      const slices = Object.entries(node.states).sort((a, b) => b[1] - a[1]);
      const data_ = { id: `app:${node.app}`, label: `${node.app}\n${formatCount(node.tasks)} tasks`, size: 40 + 50 * Math.sqrt(node.tasks / biggest), colour: stateColour(slices[0]?.[0]) };
      // A pie of the app's tasks by state (cytoscape's pie style takes up to 16 slices).
      for (let i = 0; i < 16; i++) {
        const [state, n] = slices[i] ?? ['unknown', 0];
        data_[`pie${i + 1}c`] = stateColour(state);
        data_[`pie${i + 1}s`] = (100 * n) / node.tasks;
      }
      elements.push({ data: data_ });
    }
    for (const edge of data.edges) elements.push({ data: { id: `e:${edge.from}>${edge.to}`, source: `app:${edge.from}`, target: `app:${edge.to}`, label: `${data.sampled ? '≈' : ''}${formatCount(edge.dependencies)}` } });
  } else {
    for (const node of data.nodes) elements.push({ data: { id: `t:${node.id}`, taskId: node.id, label: `${node.id} ${node.app}`, colour: stateColour(node.state ?? 'pending'), size: 28, state: node.state } });
    for (const edge of data.edges) elements.push({ data: { id: `e:${edge.from}>${edge.to}`, source: `t:${edge.from}`, target: `t:${edge.to}` } });
  }
  const signature = JSON.stringify(elements);
  if (signature === graphSignature) return; // unchanged: keep the user's pan and zoom
  graphSignature = signature;
  const pieStyle = {};
  for (let i = 1; i <= 16; i++) { pieStyle[`pie-${i}-background-color`] = `data(pie${i}c)`; pieStyle[`pie-${i}-background-size`] = `data(pie${i}s)`; }
  const cy = window.cytoscape({
    container,
    elements,
    style: [
      { selector: 'node', style: { 'background-color': 'data(colour)', label: 'data(label)', width: 'data(size)', height: 'data(size)', 'font-size': 10, 'text-valign': 'bottom', 'text-wrap': 'wrap', 'text-margin-y': 3 } },
      { selector: 'node[pie1s]', style: { ...pieStyle, 'pie-size': '100%', 'background-color': '#fff', 'border-width': 1, 'border-color': '#cbd5e1', 'font-size': 12 } },
      { selector: 'edge', style: { width: 1.5, 'line-color': '#94a3b8', 'target-arrow-color': '#94a3b8', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: '#64748b' } },
    ],
    layout: { name: 'breadthfirst', directed: true, spacingFactor: data.grouped ? 1.4 : 1.1, padding: 10 },
  });
  // A long chain of levels reads better left to right in this wide box: turn a tall layout.
  const box = cy.elements().boundingBox();
  if (box.h > box.w) {
    cy.nodes().positions((node) => ({ x: node.position('y'), y: node.position('x') }));
    cy.fit(undefined, 30);
  }
  if (cy.zoom() > 1.5) cy.zoom({ level: 1.5, position: { x: (box.x1 + box.x2) / 2, y: (box.y1 + box.y2) / 2 } }).center();
  cy.on('tap', 'node[taskId]', (event) => { window.location.href = taskLink(event.target.data('taskId')); });
  window.dashboardGraph = cy;
  container.dataset.nodes = String(data.nodes.length);
  setNote('graph', data.grouped
    ? `${formatCount(data.nodes.length)} apps (one node per app: the run has too many tasks to draw each); pies show tasks by state${data.sampled ? '; edge counts estimated from a sample of dependencies' : ''}`
    : `${formatCount(data.nodes.length)} tasks, ${formatCount(data.edges.length)} dependencies; click a task to open it`);
}

// --- Failures ---

let failureState = 'failed';
let failurePage = 0;

function tryHistory(tries) {
  return tries.map((t) => `<div>try ${t.tryId}: ${stateCell(t.state)} on ${escapeHtml(t.hostname ?? t.executor)}${t.workerId !== null ? ` w${escapeHtml(t.workerId)}` : ''}`
    + ` at ${formatTime(t.running ?? t.launched)}${t.error ? ` — <span class="error">${escapeHtml(t.error)}</span>` : ''}</div>`).join('');
}

async function loadFailures() {
  const data = await api(runApi(`failures?state=${failureState}&page=${failurePage}`));
  document.querySelector('#failures-table tbody').innerHTML = data.rows.map((row) => {
    const last = [...row.tries].reverse().find((t) => t.error);
    const error = row.state === 'dep_fail'
      ? `a dependency failed (waited on ${row.dependsOn.map((id) => `<a href="${taskLink(id)}">task ${id}</a>`).join(', ') || '–'})`
      : `<span class="error">${escapeHtml(last?.error ?? 'no error recorded')}</span>`;
    return `<tr data-task="${row.taskId}"><td><a href="${taskLink(row.taskId)}">${row.taskId}</a></td><td>${escapeHtml(row.app)}</td>
      <td>${stateCell(row.state)}</td><td class="num">${row.tries.length}</td><td>${error}</td><td class="history">${tryHistory(row.tries)}</td></tr>`;
  }).join('') || '<tr><td colspan="6">none</td></tr>';
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  document.getElementById('failures-page').textContent = `page ${data.page + 1} of ${pages}`;
  document.getElementById('failures-prev').disabled = data.page === 0;
  document.getElementById('failures-next').disabled = data.page + 1 >= pages;
  setNote('failures', `${formatCount(data.total)} task${data.total === 1 ? '' : 's'} ${failureState === 'failed' ? 'failed' : 'not run because a dependency failed'}`);
}

document.querySelectorAll('#failures .tabs button').forEach((button) => button.addEventListener('click', () => {
  document.querySelectorAll('#failures .tabs button').forEach((b) => b.classList.toggle('active', b === button));
  failureState = button.dataset.state;
  failurePage = 0;
  void loadFailures().catch((error) => panelError('failures', error));
}));
document.getElementById('failures-prev').addEventListener('click', () => { failurePage--; void loadFailures(); });
document.getElementById('failures-next').addEventListener('click', () => { failurePage++; void loadFailures(); });

// --- Loading and live refresh ---

const PANELS = [['counts', loadSummary], ['apps', loadApps], ['timeline', loadTimeline], ['over-time', loadOverTime],
  ['resources', loadResources], ['graph', loadGraph], ['failures', loadFailures]];

async function loadAll() {
  for (const [id, load] of PANELS) {
    try { await load(); } catch (error) { panelError(id, error); }
  }
}

await loadAll();
markLoaded('workflow');
if (summary?.workflow.state !== 'completed') {
  const refresh = throttled(loadAll);
  subscribe(runId, (pulse) => { applyPulse(pulse); void refresh(); });
}
