/** A real `parsl-ts worker-pool` against interchanges that misbehave: it never waits forever, and never leaves a worker behind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FrameLink } from '../../src/executors/htex/link.js';
import { generateSecret, NonceCache, serverHandshake } from '../../src/executors/htex/security.js';
import { descendantPids } from '../../src/util/processes.js';
import { waitFor } from './htex-helpers.js';

const CLI = fileURLToPath(new URL('../../bin/parsl-ts.js', import.meta.url));

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** A TCP server that accepts connections and does `onConnection` with them (nothing, by default). */
async function fakeInterchange(onConnection: (socket: Socket) => void = () => {}): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => { sockets.push(socket); socket.on('error', () => {}); onConnection(socket); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** Runs a worker-pool against `port` until it exits; returns its exit code, stderr and the workers it had. */
async function runWorkerPool(port: number, secret: Buffer): Promise<{ code: number | null; stderr: string; workers: number[] }> {
  const child = spawn(process.execPath, [CLI, 'worker-pool', '--address', '127.0.0.1', '--port', String(port), '--max-workers-per-node', '2',
    '--heartbeat-period', '0.5', '--heartbeat-threshold', '2'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PARSL_HTEX_SECRET: secret.toString('hex') } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const workers = new Set<number>();
  const watch = setInterval(() => { for (const pid of descendantPids(child.pid!)) workers.add(pid); }, 50);
  try {
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    if (code === 'hung') {
      child.kill('SIGKILL');
      assert.fail('the worker-pool was still waiting after 30 s');
    }
    return { code, stderr, workers: [...workers] };
  } finally {
    clearInterval(watch);
  }
}

test('an interchange that accepts the connection but never speaks: the worker-pool exits with its workers after heartbeatThreshold', async () => {
  const fake = await fakeInterchange();
  try {
    const { code, stderr, workers } = await runWorkerPool(fake.port, generateSecret());
    assert.notEqual(code, 0);
    assert.match(stderr, /accepted the connection but did not complete the handshake/);
    assert.ok(workers.length >= 2, 'it had started its workers');
    await waitFor(() => workers.every((pid) => !alive(pid)), 5000, 'its workers to exit');
  } finally {
    for (const socket of fake.sockets) socket.destroy();
    fake.server.close();
  }
});

test('an interchange that completes the handshake but never answers the registration: the worker-pool exits with its workers', async () => {
  const secret = generateSecret();
  const nonces = new NonceCache();
  const fake = await fakeInterchange((socket) => {
    const link = new FrameLink(socket, 1 << 20, () => {}, () => {});
    serverHandshake(link, secret, nonces, (error) => {
      if (!error) link.reader.onFrame = () => {}; // reads the registration, says nothing
    });
  });
  try {
    const { code, stderr, workers } = await runWorkerPool(fake.port, secret);
    assert.notEqual(code, 0);
    assert.match(stderr, /did not answer the registration/);
    await waitFor(() => workers.every((pid) => !alive(pid)), 5000, 'its workers to exit');
  } finally {
    for (const socket of fake.sockets) socket.destroy();
    fake.server.close();
  }
});
