// Shared by the dashboard's pages (runs in the browser): API calls, formatting, colours,
// and the live event stream.

export const body = document.body;
export const runId = body.dataset.run;

export async function api(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export const runApi = (part) => `/api/workflow/${encodeURIComponent(runId)}/${part}`;
export const runLink = (part = '') => `/workflow/${encodeURIComponent(runId)}${part}`;
export const taskLink = (taskId) => runLink(`/task/${taskId}`);

/** Colours of task and block states, the same on every chart. */
export const STATE_COLOURS = {
  exec_done: '#16a34a', memo_done: '#4ade80', failed: '#dc2626', dep_fail: '#f59e0b',
  fail_retryable: '#a855f7', running: '#2563eb', running_ended: '#60a5fa', launched: '#93c5fd',
  pending: '#94a3b8', unsched: '#cbd5e1', joining: '#0ea5e9', cancelled: '#6b7280', unknown: '#9ca3af',
  PENDING: '#94a3b8', RUNNING: '#2563eb', COMPLETED: '#16a34a', FAILED: '#dc2626', CANCELLED: '#6b7280',
  HELD: '#f59e0b', TIMEOUT: '#f97316', SCALED_IN: '#64748b', MISSING: '#be185d', UNKNOWN: '#9ca3af',
};
export const stateColour = (state) => STATE_COLOURS[state] ?? '#9ca3af';

export function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
}

export function formatTime(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const date = new Date(seconds * 1000);
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

export function formatClock(seconds) {
  return new Date(seconds * 1000).toISOString().slice(11, 19);
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

export const formatCount = (n) => Number(n ?? 0).toLocaleString('en');

export function stateCell(state) {
  return `<span class="state state-${escapeHtml(state ?? 'unknown')}">${escapeHtml(state ?? '–')}</span>`;
}

export function setNote(id, text) {
  const note = document.getElementById(`${id}-note`);
  if (note) note.textContent = text;
}

/** Marks a panel as failed to load instead of leaving it blank. */
export function panelError(id, error) {
  setNote(id, `could not load: ${error.message}`);
}

/**
 * Subscribes to live updates; `onUpdate(data)` runs for each change (data: the run's
 * counts on a workflow page). Shows the connection in the header.
 */
export function subscribe(run, onUpdate) {
  const status = document.getElementById('live-status');
  const source = new EventSource(run ? `/api/events?run=${encodeURIComponent(run)}` : '/api/events');
  source.addEventListener('open', () => { if (status) status.textContent = 'live updates on'; });
  source.addEventListener('error', () => { if (status) status.textContent = 'reconnecting…'; });
  source.addEventListener('update', (event) => onUpdate(JSON.parse(event.data)));
  window.addEventListener('beforeunload', () => source.close());
  return source;
}

/**
 * Runs `refresh` after a change, at most one at a time and at most once a second, and
 * once more after the last change (so the final state is always drawn).
 */
export function throttled(refresh, minGapMs = 1000) {
  let running = false;
  let again = false;
  let last = 0;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    const wait = Math.max(0, last + minGapMs - Date.now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    last = Date.now();
    try { await refresh(); } finally {
      running = false;
      if (again) { again = false; void run(); }
    }
  };
  return run;
}

/** An ECharts instance on element `id` (SVG: crisp, and its bars are real elements), resized with the window. */
export function chartOn(id) {
  const element = document.getElementById(id);
  const chart = window.echarts.getInstanceByDom(element) ?? window.echarts.init(element, null, { renderer: 'svg' });
  if (!element.dataset.resizes) {
    element.dataset.resizes = '1';
    window.addEventListener('resize', () => chart.resize());
  }
  return chart;
}

/** Marks the page as fully drawn (tests and the benchmark wait for it). */
export function markLoaded(what) {
  document.body.dataset.loaded = (document.body.dataset.loaded ? document.body.dataset.loaded + ' ' : '') + what;
}
