/**
 * The dashboard's HTML: a shell per page with the places its script fills in. Data comes
 * from the JSON API (client/*.js), so a page is the same whether it is loaded or updated live.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

interface Shell {
  title: string;
  /** Breadcrumb links after "Workflows": [label, href]. */
  trail?: [string, string][];
  body: string;
  /** The page's script under /static/, and whether it draws charts or graphs. */
  script: string;
  charts?: boolean;
  graph?: boolean;
  /** Data the script reads from <body data-…>. */
  data?: Record<string, string | number>;
}

function layout(shell: Shell): string {
  const data = Object.entries(shell.data ?? {}).map(([k, v]) => ` data-${k}="${escapeHtml(String(v))}"`).join('');
  const trail = (shell.trail ?? []).map(([label, href]) => ` <span class="sep">›</span> <a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(shell.title)} · parsl-ts dashboard</title>
<link rel="stylesheet" href="/static/dashboard.css">
${shell.charts ? '<script src="/vendor/echarts.min.js"></script>' : ''}
${shell.graph ? '<script src="/vendor/cytoscape.min.js"></script>' : ''}
<script type="module" src="/static/${shell.script}"></script>
</head>
<body${data}>
<header class="top"><a class="brand" href="/">parsl-ts dashboard</a><nav class="trail"><a href="/">Workflows</a>${trail}</nav><span id="live-status" class="live-status"></span></header>
<main>
${shell.body}
</main>
</body>
</html>
`;
}

const section = (id: string, title: string, inner: string, note = '') =>
  `<section id="${id}" class="panel"><h2>${title}</h2>${note ? `<p class="note" id="${id}-note">${note}</p>` : `<p class="note" id="${id}-note"></p>`}${inner}</section>`;

export function workflowsPage(): string {
  return layout({
    title: 'Workflows',
    script: 'workflows.js',
    body: section('workflows', 'Workflows', '<table class="grid" id="workflows-table"><thead><tr><th>Workflow</th><th>State</th><th>Began</th><th>Duration</th><th class="num">Tasks</th><th class="num">Done</th><th class="num">Failed</th><th>Host</th><th>User</th><th>Run dir</th></tr></thead><tbody></tbody></table>'),
  });
}

export function workflowPage(runId: string): string {
  const base = `/workflow/${encodeURIComponent(runId)}`;
  return layout({
    title: 'Workflow',
    trail: [[runId.slice(0, 8), base]],
    script: 'workflow.js',
    charts: true,
    graph: true,
    data: { run: runId },
    body: `
<section class="panel head"><h1 id="wf-title">Workflow</h1><div id="wf-meta" class="meta"></div>
<p><a id="blocks-link" href="${escapeHtml(base)}/blocks">Blocks and nodes →</a></p></section>
<section class="panel"><div id="counts" class="counts"></div></section>
${section('apps', 'Apps', '<table class="grid" id="apps-table"><thead><tr><th>App</th><th class="num">Tasks</th><th class="num">Done</th><th class="num">Failed</th><th class="num">Dep. failed</th><th class="num">Mean run time</th><th class="num">p95 run time</th></tr></thead><tbody></tbody></table>')}
${section('timeline', 'Task timeline', '<div class="chart tall" id="timeline-chart"></div>')}
${section('over-time', 'Tasks over time', '<div class="chart" id="over-time-chart"></div>')}
${section('resources', 'Resources', `<div class="quad">
  <div class="chart" id="cpu-host-chart"></div><div class="chart" id="rss-host-chart"></div>
  <div class="chart" id="cpu-app-chart"></div><div class="chart" id="rss-app-chart"></div></div>`)}
${section('graph', 'Dependency graph', '<div class="graph" id="graph-view"></div>')}
${section('failures', 'Failures', `<div class="tabs"><button data-state="failed" class="active">Failed</button><button data-state="dep_fail">Dependency failed</button></div>
<table class="grid" id="failures-table"><thead><tr><th>Task</th><th>App</th><th>State</th><th>Tries</th><th>Error</th><th>Try history</th></tr></thead><tbody></tbody></table>
<div class="pager"><button id="failures-prev">‹ Previous</button><span id="failures-page"></span><button id="failures-next">Next ›</button></div>`)}
`,
  });
}

export function blocksPage(runId: string): string {
  const base = `/workflow/${encodeURIComponent(runId)}`;
  return layout({
    title: 'Blocks',
    trail: [[runId.slice(0, 8), base], ['Blocks', `${base}/blocks`]],
    script: 'blocks.js',
    charts: true,
    data: { run: runId },
    body: `
${section('block-states', 'Block states over time', '<div class="chart tall" id="blocks-chart"></div>')}
${section('blocks', 'Blocks', '<table class="grid" id="blocks-table"><thead><tr><th>Executor</th><th>Block</th><th>Job id</th><th>State</th><th>Tries</th><th>Nodes</th><th>History</th><th>Why (scheduler message, stderr)</th></tr></thead><tbody></tbody></table>')}
`,
  });
}

export function taskPage(runId: string, taskId: number): string {
  const base = `/workflow/${encodeURIComponent(runId)}`;
  return layout({
    title: `Task ${taskId}`,
    trail: [[runId.slice(0, 8), base], [`Task ${taskId}`, `${base}/task/${taskId}`]],
    script: 'task.js',
    charts: true,
    data: { run: runId, task: taskId },
    body: `
<section class="panel head"><h1 id="task-title">Task ${taskId}</h1><div id="task-meta" class="meta"></div></section>
${section('tries', 'Tries', '<table class="grid" id="tries-table"><thead><tr><th>Try</th><th>State</th><th>Executor</th><th>Block</th><th>Host</th><th>Worker</th><th>Launched</th><th>Running</th><th>Returned</th><th>Error</th></tr></thead><tbody></tbody></table>')}
${section('history', 'State history', '<table class="grid" id="history-table"><thead><tr><th>Time</th><th>State</th><th>Try</th></tr></thead><tbody></tbody></table>')}
${section('task-resources', 'Resource samples', '<div class="chart" id="task-resource-chart"></div>')}
${section('relatives', 'Dependencies', '<div id="relatives"></div>')}
${section('streams', 'Standard output and error', '<h3>stdout</h3><pre id="stdout" class="stream"></pre><h3>stderr</h3><pre id="stderr" class="stream"></pre>')}
`,
  });
}

export function notFoundPage(what: string): string {
  return layout({ title: 'Not found', script: 'common.js', body: `<section class="panel"><h1>Not found</h1><p>${escapeHtml(what)}</p></section>` });
}
