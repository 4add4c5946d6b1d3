// The blocks page: every batch job of the run, its states over time, its nodes and, for a
// failed one, why (the scheduler's message and the job's stderr tail).
import { api, chartOn, escapeHtml, formatBytes, formatClock, formatCount, formatTime, markLoaded, panelError, runApi, runId, setNote, stateCell, stateColour, subscribe, throttled } from './common.js';

function drawChart(blocks, until) {
  const lanes = blocks.map((b) => `${b.executor} / ${b.blockId}`);
  const items = [];
  blocks.forEach((block, lane) => block.history.forEach((entry, i) => {
    const next = block.history[i + 1];
    const final = next === undefined && ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'SCALED_IN', 'MISSING'].includes(entry.status);
    // A final state is a point in time; give it a sliver so it shows.
    const end = next?.timestamp ?? (final ? entry.timestamp + Math.max((until - blocks[0].history[0].timestamp) / 200, 0.5) : until);
    items.push({ name: entry.status, value: [lane, entry.timestamp * 1000, end * 1000, entry.status], itemStyle: { color: stateColour(entry.status) } });
  }));
  chartOn('blocks-chart').setOption({
    animation: false,
    tooltip: { formatter: (p) => `${escapeHtml(lanes[p.value[0]])}: ${escapeHtml(p.value[3])}<br>${formatClock(p.value[1] / 1000)} → ${formatClock(p.value[2] / 1000)}` },
    grid: { left: 110, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: lanes, inverse: true },
    series: [{
      type: 'custom', encode: { x: [1, 2], y: 0 }, data: items,
      renderItem: (params, r) => {
        const start = r.coord([r.value(1), r.value(0)]);
        const end = r.coord([r.value(2), r.value(0)]);
        const height = r.size([0, 1])[1] * 0.6;
        const shape = window.echarts.graphic.clipRectByRect({ x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2), height },
          { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
        return shape && { type: 'rect', shape, style: r.style() };
      },
    }],
  }, { replaceMerge: ['series'] });
}

async function refresh() {
  try {
    const blocks = await api(runApi('blocks'));
    const summary = await api(runApi('summary'));
    const until = summary.workflow.completed ?? (summary.workflow.state === 'running' ? Date.now() / 1000 : summary.workflow.lastUpdate ?? summary.workflow.began);
    document.querySelector('#blocks-table tbody').innerHTML = blocks.map((b) => `<tr data-block="${escapeHtml(b.blockId)}">
      <td>${escapeHtml(b.executor)}</td><td>${escapeHtml(b.blockId)}</td><td>${escapeHtml(b.jobId ?? '–')}</td><td>${stateCell(b.status)}</td>
      <td class="num">${formatCount(b.tries)}</td>
      <td class="history">${b.nodes.map((n) => `${escapeHtml(n.hostname)}: ${n.workers} workers, ${n.cores} cores, ${formatBytes(n.memory)}${n.active ? '' : ' (gone)'}, last heartbeat ${formatClock(n.lastHeartbeat)}`).join('<br>') || '–'}</td>
      <td class="history">${b.history.map((h) => `${formatTime(h.timestamp)} ${stateCell(h.status)}`).join('<br>')}</td>
      <td>${b.message ? `<pre class="error">${escapeHtml(b.message)}</pre>` : ''}</td></tr>`).join('') || '<tr><td colspan="8">no blocks recorded (an executor without a provider, such as threads)</td></tr>';
    if (blocks.length > 0) drawChart(blocks, until);
    const failed = blocks.filter((b) => b.status === 'FAILED').length;
    setNote('blocks', `${blocks.length} block${blocks.length === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}`);
    return summary.workflow.state;
  } catch (error) {
    panelError('blocks', error);
    return undefined;
  }
}

const state = await refresh();
markLoaded('blocks');
if (state !== 'completed') subscribe(runId, throttled(refresh));
