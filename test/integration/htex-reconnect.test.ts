/**
 * A manager whose link to the interchange drops reconnects and keeps its tasks (real
 * worker-pool processes; the link runs through a TCP proxy that the tests cut).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { app, load, HighThroughputExecutor, LocalProvider, type DataFlowKernel } from '../../src/index.js';
import type { HighThroughputExecutorOptions } from '../../src/executors/htex/options.js';
import { htexProcesses, tempDir, waitFor } from './htex-helpers.js';

const napThenPid = app(async function napThenPid(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { worker: process.pid, manager: process.ppid };
});
const double = app(function double(x: number) { return 2 * x; });

/** Forwards connections from its own port to `target`; `cut()` drops them all, `pause()` also stops listening for a while. */
class Proxy {
  #server: Server | undefined;
  #pairs = new Set<[Socket, Socket]>();
  port = 0;
  connections = 0;

  constructor(readonly target: number) {}

  async listen(port = 0): Promise<void> {
    this.#server = createServer((client) => {
      this.connections++;
      const upstream = connect({ host: '127.0.0.1', port: this.target });
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => { client.destroy(); upstream.destroy(); this.#pairs.delete(pair); };
      for (const socket of pair) { socket.on('error', end); socket.on('close', end); }
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  /** Drops what the managers send from now on, as a dying network does before the link breaks. */
  loseUpstream(): void {
    for (const [client] of this.#pairs) {
      client.unpipe();
      client.on('data', () => {});
    }
  }

  cut(): void {
    for (const [client, upstream] of this.#pairs) { client.destroy(); upstream.destroy(); }
    this.#pairs.clear();
  }

  async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => { this.#server!.close(() => resolve()); this.cut(); });
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.listen(this.port);
  }

  close(): void {
    this.cut();
    this.#server?.close();
  }
}

/** A HighThroughputExecutor whose managers connect through the proxy. */
class ProxiedExecutor extends HighThroughputExecutor {
  proxyPort = 0;
  protected override launchCommand(blockId: string): string {
    return super.launchCommand(blockId).replace(`--port ${this.port}`, `--port ${this.proxyPort}`);
  }
}

async function startProxied(options: HighThroughputExecutorOptions, retries = 0): Promise<{ dfk: DataFlowKernel; executor: ProxiedExecutor; proxy: Proxy; dir: string; stop: () => Promise<void> }> {
  const dir = tempDir();
  const executor = new ProxiedExecutor({
    label: 'htex', maxWorkersPerNode: 2, heartbeatPeriod: 0.5, heartbeatThreshold: 10,
    provider: new LocalProvider({ initBlocks: 0, minBlocks: 0, maxBlocks: 1, statusPollingInterval: 200 }), ...options,
  });
  const dfk = await load({ executors: [executor], runDir: join(dir, 'runinfo'), strategy: 'none', retries });
  const proxy = new Proxy(executor.port);
  await proxy.listen();
  executor.proxyPort = proxy.port;
  await executor.scaleOut(1);
  await waitFor(() => executor.managers().length === 1, 15_000, 'the manager to register');
  const stop = async () => {
    try {
      await dfk.cleanup();
      await waitFor(() => htexProcesses().length === 0, 5000, 'no manager or worker left after cleanup');
    } finally {
      proxy.close();
    }
  };
  return { dfk, executor, proxy, dir, stop };
}

async function logOf(dfk: DataFlowKernel): Promise<string> {
  await dfk.logger.flush();
  try { return readFileSync(join(dfk.runDir, 'parsl.log'), 'utf8'); } catch { return ''; }
}

test('the link drops while tasks run: the same manager reconnects and every task succeeds once', async () => {
  const run = await startProxied({ maxWorkersPerNode: 3, coresPerWorker: 0.5 });
  try {
    const manager = run.executor.managers()[0]!;
    const slow = [napThenPid(3000), napThenPid(3000)];
    await waitFor(() => (run.executor.managers()[0]?.tasks ?? 0) === 2, 5000, 'both slow tasks to start');
    // Fast tasks on the third worker, in flight both ways when the link drops.
    let done = 0;
    const fast = Array.from({ length: 20_000 }, (_, i) => double(i).then((value) => { done++; return value; }));
    await waitFor(() => done >= 2000, 10_000, 'some fast tasks to finish');
    // Results sent in the last moments are lost with the link: the manager must send them again.
    run.proxy.loseUpstream();
    await new Promise((resolve) => setTimeout(resolve, 100));
    run.proxy.cut();
    assert.ok(done < 20_000, 'fast tasks were still running when the link dropped');
    assert.deepEqual(await Promise.all(fast), Array.from({ length: 20_000 }, (_, i) => 2 * i));
    for (const result of await Promise.all(slow)) assert.equal(result.manager, manager.pid);
    assert.ok(run.proxy.connections >= 2, 'it reconnected through the proxy');
    const now = run.executor.managers();
    assert.equal(now.length, 1);
    assert.equal(now[0]!.managerId, manager.managerId);
    assert.equal(now[0]!.pid, manager.pid);
    const log = await logOf(run.dfk);
    assert.match(log, /manager .* reconnected from/);
    assert.doesNotMatch(log, /lost manager/);
  } finally {
    await run.stop();
  }
});

test('a link down for longer than the interchange waits: its tasks fail (and retry), the same manager comes back as a new one', async () => {
  const run = await startProxied({}, 1);
  try {
    const manager = run.executor.managers()[0]!;
    const first = napThenPid(8000);
    await waitFor(() => (run.executor.managers()[0]?.tasks ?? 0) === 1, 5000, 'the task to start');
    await run.proxy.pause(6500); // the interchange waits 5 s for a reconnect
    // The first try failed with ManagerLost; the retry runs on the same manager, registered anew.
    const result = await first;
    assert.equal(result.manager, manager.pid);
    const now = run.executor.managers();
    assert.equal(now.length, 1);
    assert.equal(now[0]!.pid, manager.pid);
    assert.equal(await double(21), 42);
    const log = await logOf(run.dfk);
    assert.match(log, /lost manager .*not back within 5 s/);
    assert.match(log, /registered from .* again, as a new manager/);
  } finally {
    await run.stop();
  }
});
