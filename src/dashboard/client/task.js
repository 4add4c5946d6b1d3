// One task: its tries, every state change, its resource samples, what it waited on and
// what waited on it, and the tail of its stdout and stderr.
import { api, body, chartOn, escapeHtml, formatBytes, formatCount, formatDuration, formatTime, markLoaded, runApi, runId, setNote, stateCell, subscribe, taskLink, throttled } from './common.js';

const taskId = Number(body.dataset.task);

function stream(id, view) {
  const element = document.getElementById(id);
  if (view === null) element.textContent = '(not redirected)';
  else if (view.tail === null) element.textContent = `${view.path}: not readable from the dashboard's machine`;
  else element.textContent = (view.truncated ? '…\n' : '') + (view.tail || '(empty)');
}

async function refresh() {
  let task;
  try {
    task = await api(runApi(`task/${taskId}`));
  } catch (error) {
    document.getElementById('task-meta').textContent = `task ${taskId} is not in this workflow (${error.message})`;
    return undefined;
  }
  document.getElementById('task-title').innerHTML = `Task ${task.taskId}: ${escapeHtml(task.app)} ${stateCell(task.state)}`;
  document.getElementById('task-meta').innerHTML = [
    `executor ${escapeHtml(task.executor ?? '–')}`, `submitted ${formatTime(task.invoked)}`,
    task.returned ? `returned ${formatTime(task.returned)} (${formatDuration(task.returned - task.invoked)} after submission)` : 'not returned yet',
    `${task.failCount} failed tr${task.failCount === 1 ? 'y' : 'ies'}`, task.hashsum ? `cache key ${escapeHtml(task.hashsum.slice(0, 16))}…` : '',
  ].filter(Boolean).map((item) => `<span>${item}</span>`).join('');
  document.querySelector('#tries-table tbody').innerHTML = task.tries.map((t) => `<tr data-try="${t.tryId}"><td>${t.tryId}</td><td>${stateCell(t.state)}</td>
    <td>${escapeHtml(t.executor)}</td><td>${escapeHtml(t.blockId ?? '–')}</td><td>${escapeHtml(t.hostname ?? '–')}</td><td>${escapeHtml(t.workerId ?? '–')}</td>
    <td>${formatTime(t.launched)}</td><td>${formatTime(t.running)}</td><td>${formatTime(t.returned)}</td>
    <td>${t.error ? `<span class="error">${escapeHtml(t.error)}</span>` : ''}</td></tr>`).join('') || '<tr><td colspan="10">not launched yet</td></tr>';
  document.querySelector('#history-table tbody').innerHTML = task.history.map((h) =>
    `<tr><td>${formatTime(h.timestamp)}.${String(Math.round((h.timestamp % 1) * 1000)).padStart(3, '0')}</td><td>${stateCell(h.state)}</td><td>${h.tryId}</td></tr>`).join('');
  const link = (r) => `<a href="${taskLink(r.taskId)}">task ${r.taskId}</a> ${escapeHtml(r.app)} ${stateCell(r.state)}`;
  const joined = task.tries.flatMap((t) => t.joins);
  document.getElementById('relatives').innerHTML = `<p>Waited on: ${task.parents.map(link).join(', ') || 'nothing'}</p>`
    + `<p>Waited on by: ${task.children.map(link).join(', ') || 'nothing'}</p>`
    + (joined.length > 0 ? `<p>Joined (join app): ${joined.map((id) => `<a href="${taskLink(id)}">task ${id}</a>`).join(', ')}</p>` : '')
    + (task.inputs ? `<p>Inputs: ${escapeHtml(task.inputs)}</p>` : '') + (task.outputs ? `<p>Outputs: ${escapeHtml(task.outputs)}</p>` : '');
  const samples = task.resources;
  chartOn('task-resource-chart').setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 60, right: 70, top: 30, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: [{ type: 'value', name: 'CPU %' }, { type: 'value', name: 'memory', axisLabel: { formatter: formatBytes } }],
    series: [
      { name: 'CPU %', type: 'line', data: samples.map((s) => [s.timestamp * 1000, s.cpuPercent]) },
      { name: 'resident memory', type: 'line', yAxisIndex: 1, data: samples.map((s) => [s.timestamp * 1000, s.rss]), tooltip: { valueFormatter: formatBytes } },
    ],
  }, { replaceMerge: ['series'] });
  setNote('task-resources', samples.length === 0 ? 'no samples (the task ran for less than the sampling interval, or resource monitoring is off)' : `${formatCount(samples.length)} samples`);
  stream('stdout', task.stdout);
  stream('stderr', task.stderr);
  return task.state;
}

const FINAL = ['exec_done', 'memo_done', 'failed', 'dep_fail', 'cancelled'];
const state = await refresh();
markLoaded('task');
if (state !== undefined && !FINAL.includes(state)) subscribe(runId, throttled(refresh));
