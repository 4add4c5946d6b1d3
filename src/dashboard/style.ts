/** The dashboard's stylesheet (a module, so the compiled package carries it without a copy step). */
export const DASHBOARD_CSS = `
:root { --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #2563eb;
  --done: #16a34a; --failed: #dc2626; --dep: #f59e0b; --running: #2563eb; --pending: #94a3b8; --retry: #a855f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--ink); }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #111827; color: #e5e7eb; }
header.top a { color: #e5e7eb; } .brand { font-weight: 600; }
.trail .sep { color: #6b7280; margin: 0 4px; }
.live-status { margin-left: auto; font-size: 12px; color: #9ca3af; }
main { max-width: 1400px; margin: 0 auto; padding: 16px 20px 40px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
.panel h1 { margin: 0 0 6px; font-size: 20px; } .panel h2 { margin: 0 0 8px; font-size: 16px; }
.panel h3 { font-size: 13px; margin: 10px 0 4px; color: var(--muted); }
.note { margin: 0 0 8px; color: var(--muted); font-size: 12px; } .note:empty { display: none; }
.meta { color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 18px; }
table.grid { width: 100%; border-collapse: collapse; font-size: 13px; }
table.grid th, table.grid td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.grid th { color: var(--muted); font-weight: 500; background: #fafbfc; }
table.grid td.num, table.grid th.num { text-align: right; font-variant-numeric: tabular-nums; }
.counts { display: flex; flex-wrap: wrap; gap: 10px; }
.count { min-width: 110px; padding: 8px 12px; border-radius: 6px; background: #f8fafc; border: 1px solid var(--line); }
.count .n { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; } .count .label { color: var(--muted); font-size: 12px; }
.count.done .n { color: var(--done); } .count.failed .n { color: var(--failed); } .count.dep_fail .n { color: var(--dep); }
.count.running .n { color: var(--running); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e5e7eb; color: #374151; }
.badge.running { background: #dbeafe; color: #1d4ed8; } .badge.completed { background: #dcfce7; color: #166534; }
.badge.stopped { background: #fee2e2; color: #991b1b; }
.badge.running::before { content: ""; display: inline-block; width: 7px; height: 7px; border-radius: 50%; background: #2563eb; margin-right: 5px; animation: pulse 1.2s infinite; }
@keyframes pulse { 50% { opacity: 0.2; } }
.state { font-weight: 500; } .state-exec_done, .state-memo_done, .state-COMPLETED { color: var(--done); }
.state-failed, .state-FAILED { color: var(--failed); } .state-dep_fail { color: var(--dep); }
.state-running, .state-RUNNING, .state-launched { color: var(--running); } .state-fail_retryable { color: var(--retry); }
.chart { height: 300px; } .chart.tall { height: 420px; }
.quad { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.graph { height: 480px; border: 1px solid var(--line); border-radius: 6px; }
.error { color: var(--failed); white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
.history { font-size: 12px; color: var(--muted); }
pre.stream { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 6px; max-height: 320px; overflow: auto; font-size: 12px; white-space: pre-wrap; }
.tabs button, .pager button { border: 1px solid var(--line); background: #fff; padding: 4px 10px; border-radius: 5px; cursor: pointer; }
.tabs button.active { background: var(--accent); color: #fff; border-color: var(--accent); }
.tabs { margin-bottom: 8px; display: flex; gap: 6px; } .pager { margin-top: 8px; display: flex; gap: 10px; align-items: center; }
`;
