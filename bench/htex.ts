/**
 * HighThroughputExecutor benchmarks (DESIGN §5): no-op throughput, sequential round trip,
 * 200 × 50 ms sleeps, chain and fan-out/fan-in, all with 2 workers on one LocalProvider
 * block and logging as by default; plus the measurement behind where the interchange lives:
 * the same runs with a pass-through TCP relay process between the interchange and the
 * manager (the least an interchange in its own process would add).
 * Runnable alone: `node --import tsx bench/htex.ts`; `bench/run.ts` calls `htexBenchmarks`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { load, HighThroughputExecutor, LocalProvider, type DataFlowKernel } from '../src/index.js';
import { benchRow, percentile, printTable, sequentialLatencies, type BenchRow } from './table.js';
import { count, inc, noop, sleep } from './threads.js';

/** A HighThroughputExecutor whose managers connect through a relay port instead. */
class RelayedExecutor extends HighThroughputExecutor {
  relayPort = 0;
  protected override launchCommand(blockId: string): string {
    return super.launchCommand(blockId).replace(`--port ${this.port}`, `--port ${this.relayPort}`);
  }
}

/** A process that forwards bytes both ways between `listen` and `target`, nothing else. */
const RELAY_SOURCE = `
const net = require('node:net');
const target = Number(process.argv[1]);
const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: target, noDelay: true });
  client.pipe(upstream); upstream.pipe(client);
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on('error', end); upstream.on('error', end); client.on('close', end); upstream.on('close', end);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function startRelay(target: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', RELAY_SOURCE, String(target)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
  return { child, port };
}

export interface HtexBenchOptions {
  /** Put a pass-through relay process between the interchange and the manager. */
  relay?: boolean;
}

/** Loads a DFK with a 2-worker HighThroughputExecutor, warms it up, runs `body`, cleans up. */
async function withHtex<T>(body: (dfk: DataFlowKernel) => Promise<T>, options: HtexBenchOptions = {}): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-bench-htex-'));
  const executor = new (options.relay ? RelayedExecutor : HighThroughputExecutor)({
    label: 'htex', maxWorkersPerNode: 2, provider: new LocalProvider({ initBlocks: options.relay ? 0 : 1 }),
  });
  const dfk = await load({ executors: [executor], runDir: join(dir, 'runinfo'), strategy: 'none' });
  let relay: { child: ChildProcess; port: number } | undefined;
  try {
    if (options.relay) {
      relay = await startRelay(executor.port);
      (executor as RelayedExecutor).relayPort = relay.port;
      await executor.scaleOut(1);
    }
    await Promise.all(Array.from({ length: 2000 }, () => noop()));
    return await body(dfk);
  } finally {
    await dfk.cleanup();
    relay?.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Tasks per second for `n` no-op tasks, first submit to last result. */
export function htexNoopThroughput(n = 50_000, options: HtexBenchOptions = {}): Promise<number> {
  return withHtex(async () => {
    const started = performance.now();
    const futures = [];
    for (let i = 0; i < n; i++) futures.push(noop());
    await Promise.all(futures);
    return n / ((performance.now() - started) / 1000);
  }, options);
}

/**
 * Sequential submit→result latencies in ms, in steady state: the manager and workers are
 * fresh processes, and for their first few thousand round trips V8 is still compiling
 * their hot paths (p99 ~2 ms then, ~0.3–0.5 ms after), so they are warmed up first.
 */
export function htexRoundTrips(n = 2000, options: HtexBenchOptions = {}, warmup = 5000): Promise<number[]> {
  return withHtex(() => sequentialLatencies(() => noop(), n, warmup), options);
}

/** Percent of ideal for `tasks` × `ms` blocking sleeps on 2 workers. */
export function htexSleepEfficiency(tasks = 200, ms = 50, workers = 2): Promise<number> {
  return withHtex(async () => {
    const started = performance.now();
    await Promise.all(Array.from({ length: tasks }, () => sleep(ms)));
    return (100 * (tasks * ms) / workers) / (performance.now() - started);
  });
}

/**
 * Before a dependent-task measurement: every worker has imported the app's module (apps ship
 * by reference) and V8 has compiled the one-task-at-a-time path of the fresh manager and
 * worker processes (as for the round trips; Parsl's figures are after warm-up too).
 */
async function warmUpApp(): Promise<void> {
  await Promise.all(Array.from({ length: 200 }, () => inc(0)));
  for (let i = 0; i < 3000; i++) await inc(i);
}

export function htexChain(n = 2000): Promise<number> {
  return withHtex(async () => {
    await warmUpApp();
    const started = performance.now();
    let future = inc(0);
    for (let i = 1; i < n; i++) future = inc(future);
    if (await future !== n) throw new Error('chain ended early');
    return (performance.now() - started) / 1000;
  });
}

export function htexFanOutFanIn(n = 5000): Promise<number> {
  return withHtex(async () => {
    await warmUpApp();
    const started = performance.now();
    if (await count(Array.from({ length: n }, (_, i) => inc(i))) !== n) throw new Error('fan-in lost values');
    return (performance.now() - started) / 1000;
  });
}

function latencyRows(prefix: string, latencies: number[], parsl: [number, number] | undefined, targets: [number, number] | undefined): BenchRow[] {
  return ([50, 99] as const).map((p, i) => {
    const value = percentile(latencies, p);
    const row: BenchRow = { name: `${prefix} round trip p${p}`, median: value, unit: 'ms', higherIsBetter: false, runs: [value] };
    if (parsl) row.parsl = parsl[i]!;
    if (targets) row.target = targets[i]!;
    return row;
  });
}

/** Fake managers in one process: authenticate, register, answer every task at once, heartbeat. */
const FAKE_MANAGERS_SOURCE = `
const { connect } = await import('node:net');
const { serialize } = await import('node:v8');
const [port, count, secretHex, src] = process.argv.slice(1);
const { FrameLink } = await import(src + '/link.ts');
const protocol = await import(src + '/protocol.ts');
const { clientHandshake } = await import(src + '/security.ts');
const { VERSION } = await import(src + '/../../version.ts');
const secret = Buffer.from(secretHex, 'hex');
const links = [];
let registered = 0;
for (let i = 0; i < Number(count); i++) {
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  socket.setNoDelay(true);
  const link = new FrameLink(socket, 1 << 26, () => {}, (error) => console.error('fake manager ' + i + ': ' + error.message));
  link.coalesce = true;
  links.push(link);
  clientHandshake(link, secret, (error) => {
    if (error) { console.error(error.message); process.exit(1); }
    link.reader.onFrame = (type, payload) => {
      if (type === 11 && ++registered === Number(count)) process.stdout.write('registered\\n');
      if (type !== 20) return;
      const { tasks } = protocol.decodeTaskBatch(payload);
      const body = [];
      for (const task of tasks) body.push(task.tryId, 1, 0);
      link.send(protocol.encodeResultBatch(tasks.map((t) => t.taskId), 0, serialize(body)));
    };
    link.send(protocol.jsonFrame(10, { managerId: 'fake-' + i, blockId: String(i % 50), hostname: 'sim', pid: process.pid,
      workerCount: 2, capacity: 4, nodeVersion: process.versions.node, parslVersion: VERSION, accelerators: [] }));
  });
}
setInterval(() => { for (const link of links) link.send(protocol.frame(30)); }, 1000);
`;

export interface ManyManagersResult {
  managers: number;
  registerSeconds: number;
  tasksPerSecond: number;
  longestPauseMs: number;
  managersLost: number;
}

/** One interchange, `count` simulated managers on loopback, `tasks` no-op round trips. */
export async function interchangeWithManyManagers(count = 1000, tasks = 100_000): Promise<ManyManagersResult> {
  const { Interchange } = await import('../src/executors/htex/interchange.js');
  const { generateSecret } = await import('../src/executors/htex/security.js');
  const { Logger } = await import('../src/util/logger.js');
  const secret = generateSecret();
  let delivered = 0;
  let lastAt = 0;
  let longestPause = 0;
  let allDone: () => void = () => {};
  const interchange = new Interchange({
    label: 'sim', secret, tls: undefined, host: '127.0.0.1', portRange: undefined, heartbeatPeriod: 1, heartbeatThreshold: 10,
    maxFrameBytes: 1 << 26, handshakeTimeoutMs: 30_000, logger: new Logger(undefined),
    deliver: () => {
      const now = performance.now();
      if (lastAt > 0) longestPause = Math.max(longestPause, now - lastAt);
      lastAt = now;
      if (++delivered === tasks) allDone();
    },
  });
  await interchange.listen();
  const src = new URL('../src/executors/htex', import.meta.url).href;
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', FAKE_MANAGERS_SOURCE,
    String(interchange.port), String(count), secret.toString('hex'), src], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('registered')) resolve(); });
      child.once('exit', (code) => reject(new Error(`simulated managers exited with ${code}`)));
    });
    const registerSeconds = (performance.now() - started) / 1000;
    const code = { id: 'sim', kind: 'source' as const, name: 'noop', source: '() => 0' };
    const done = new Promise<void>((resolve) => { allDone = resolve; });
    const runStarted = performance.now();
    for (let i = 0; i < tasks; i++) interchange.submit({ taskId: i, tryId: 0, appName: 'noop', kind: 'function', code, args: [] });
    await done;
    const tasksPerSecond = tasks / ((performance.now() - runStarted) / 1000);
    // Stay a few heartbeat periods to see that nobody is declared lost.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    return { managers: interchange.managers().length, registerSeconds, tasksPerSecond, longestPauseMs: longestPause, managersLost: interchange.stats.managersLost };
  } finally {
    child.kill();
    await interchange.close(100);
  }
}

export async function htexBenchmarks(times = 3): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(await benchRow('htex: no-op throughput (50,000 tasks, 2 workers)', 'tasks/s', true, () => htexNoopThroughput(), { times, warmup: false, parsl: 1460, target: 14_600 }));
  rows.push(...latencyRows('htex:', await htexRoundTrips(), [1.7, 5.8], [0.5, 2]));
  rows.push(await benchRow('htex: 200 × 50 ms sleeps, 2 workers', '% of ideal', true, () => htexSleepEfficiency(), { times: 1, warmup: false, parsl: 94.4, target: 98 }));
  rows.push(await benchRow('htex: chain of 2,000', 's', false, () => htexChain(), { times, warmup: false, parsl: 3.1, target: 0.6 }));
  rows.push(await benchRow('htex: fan-out 5,000 + fan-in', 's', false, () => htexFanOutFanIn(), { times, warmup: false, parsl: 5.8, target: 0.7 }));
  // Where the interchange lives: the same no-op runs with one extra process hop.
  rows.push(await benchRow('htex + relay process: no-op throughput', 'tasks/s', true, () => htexNoopThroughput(50_000, { relay: true }), { times, warmup: false }));
  rows.push(...latencyRows('htex + relay process:', await htexRoundTrips(2000, { relay: true }), undefined, undefined));
  const many = await interchangeWithManyManagers();
  const single = (name: string, value: number, unit: string, higherIsBetter: boolean): BenchRow => ({ name, median: value, unit, higherIsBetter, runs: [value] });
  rows.push(single(`interchange, ${many.managers} simulated managers: registration`, many.registerSeconds, 's', false));
  rows.push(single('interchange, 1,000 simulated managers: 100,000 no-op round trips', many.tasksPerSecond, 'tasks/s', true));
  rows.push(single('interchange, 1,000 simulated managers: longest pause between results', many.longestPauseMs, 'ms', false));
  rows.push(single('interchange, 1,000 simulated managers: managers lost', many.managersLost, 'managers', false));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await htexBenchmarks(Number(process.env.BENCH_TIMES) || 3));
}
