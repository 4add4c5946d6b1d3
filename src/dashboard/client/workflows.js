// The workflows list: every run in the database, newest first, running ones marked live.
import { api, escapeHtml, formatCount, formatDuration, formatTime, markLoaded, panelError, setNote, subscribe, throttled } from './common.js';

async function refresh() {
  try {
    const workflows = await api('/api/workflows');
    const rows = workflows.map((w) => {
      const end = w.completed ?? (w.state === 'running' ? Date.now() / 1000 : w.lastUpdate);
      const done = w.completedCount;
      const tasks = w.submitted ?? done + w.failedCount;
      return `<tr data-run="${escapeHtml(w.runId)}" class="wf-${w.state}">
        <td><a href="/workflow/${encodeURIComponent(w.runId)}">${escapeHtml(w.name ?? 'workflow')}</a>
          <div class="history">${escapeHtml(w.runId)}${w.version ? ` · v${escapeHtml(w.version)}` : ''}</div></td>
        <td><span class="badge ${w.state}">${w.state === 'running' ? 'live' : w.state}</span></td>
        <td>${formatTime(w.began)}</td><td>${formatDuration(end - w.began)}</td>
        <td class="num">${formatCount(tasks)}</td><td class="num">${formatCount(done)}</td><td class="num">${formatCount(w.failedCount)}</td>
        <td>${escapeHtml(w.host)}</td><td>${escapeHtml(w.user)}</td><td class="history">${escapeHtml(w.rundir)}</td></tr>`;
    });
    document.querySelector('#workflows-table tbody').innerHTML = rows.join('');
    const live = workflows.filter((w) => w.state === 'running').length;
    setNote('workflows', `${workflows.length} workflow${workflows.length === 1 ? '' : 's'}${live ? `, ${live} running` : ''}`);
  } catch (error) {
    panelError('workflows', error);
  }
}

await refresh();
markLoaded('workflows');
subscribe(undefined, throttled(refresh));
