/** The interchange on real loopback TCP, driven by scripted managers (no worker processes). */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagerLost, SerializationError } from '../../../src/errors.js';
import { Interchange } from '../../../src/executors/htex/interchange.js';
import { MAGIC, MessageType, frame } from '../../../src/executors/htex/protocol.js';
import { generateSecret } from '../../../src/executors/htex/security.js';
import type { ExecutorTask, TaskOutcome } from '../../../src/executors/executor.js';
import { Logger } from '../../../src/util/logger.js';
import { FakeManager, closedBy, rawSocket, waitFor } from './fake-manager.js';

const code = { id: 'code-1', kind: 'source' as const, name: 'f', source: '(x) => x' };
let dir: string;
let logger: Logger;
let interchange: Interchange;
let secret: Buffer;
let delivered: { taskId: number; outcome: TaskOutcome }[];
const fakes: FakeManager[] = [];

function task(taskId: number, priority?: number, args: unknown[] = [taskId]): ExecutorTask {
  const t: ExecutorTask = { taskId, tryId: 0, appName: 'f', kind: 'function', code, args };
  if (priority !== undefined) t.priority = priority;
  return t;
}

async function fake(): Promise<FakeManager> {
  const manager = await FakeManager.connect(interchange.port, secret);
  fakes.push(manager);
  return manager;
}

async function logText(): Promise<string> {
  await logger.flush();
  try { return readFileSync(logger.path!, 'utf8'); } catch { return ''; }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'htex-interchange-'));
  logger = new Logger(join(dir, 'parsl.log'));
  secret = generateSecret();
  delivered = [];
  interchange = new Interchange({
    label: 'htex', secret, tls: undefined, host: '127.0.0.1', portRange: undefined, heartbeatPeriod: 0.2, heartbeatThreshold: 1,
    maxFrameBytes: 64 * 1024, handshakeTimeoutMs: 1000, logger,
    deliver: (taskId, _tryId, outcome) => delivered.push({ taskId, outcome }),
  });
  await interchange.listen();
});

afterEach(async () => {
  for (const manager of fakes.splice(0)) manager.close();
  await interchange.close(500);
  rmSync(dir, { recursive: true, force: true });
});

test('tasks go out lowest priority first, then in submission order, and results come back', async () => {
  for (const [id, priority] of [[1, 5], [2, 1], [3, 3], [4, 1], [5, 0], [6, undefined]] as const) interchange.submit(task(id, priority));
  const manager = await fake();
  assert.equal((await manager.register({ capacity: 1 })).type, MessageType.Registered);
  for (let n = 1; n <= 6; n++) {
    await manager.until(() => manager.tasks.length === n);
    manager.reply([manager.tasks[n - 1]!], (t) => (t.args[0] as number) * 10);
  }
  assert.deepEqual(manager.tasks.map((t) => t.taskId), [5, 6, 2, 4, 3, 1]);
  await waitFor(() => delivered.length === 6);
  assert.deepEqual(delivered.map((d) => d.outcome), [5, 6, 2, 4, 3, 1].map((id) => ({ ok: true, value: id * 10 })));
});

test('a manager gets at most its capacity, in one batch, and the code once', async () => {
  const manager = await fake();
  await manager.register({ capacity: 3 });
  for (let id = 1; id <= 5; id++) interchange.submit(task(id));
  await manager.until(() => manager.tasks.length === 3);
  const batches = manager.received.filter((r) => r.type === MessageType.Tasks);
  assert.equal(batches.length, 1);
  manager.reply(manager.tasks.slice(0, 3));
  await manager.until(() => manager.tasks.length === 5);
  assert.equal(interchange.queued, 0);
  assert.equal(interchange.running, 2);
});

test('a manager of another parsl-ts version is refused with a message naming both versions', async () => {
  const manager = await fake();
  const answer = await manager.register({ parslVersion: '0.0.1-old' });
  assert.equal(answer.type, MessageType.Refused);
  const { message } = JSON.parse(answer.payload.toString()) as { message: string };
  assert.match(message, /parsl-ts 0\.1\.0/);
  assert.match(message, /parsl-ts 0\.0\.1-old/);
  await manager.until(() => manager.closeReason !== undefined);
  assert.match(await logText(), /refused manager .*version mismatch/);
});

test('garbage, oversized, unauthenticated, wrong-version and replayed peers are dropped and logged; a registered manager keeps working', async () => {
  const good = await fake();
  await good.register({ capacity: 100 });

  const garbage = await rawSocket(interchange.port);
  garbage.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await closedBy(garbage);

  const oversized = await rawSocket(interchange.port);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(1 << 30);
  oversized.write(header);
  await closedBy(oversized);

  await assert.rejects(FakeManager.connect(interchange.port, generateSecret()), /refused the handshake|closed|ECONNRESET/);

  const skipper = await rawSocket(interchange.port); // registers without authenticating
  skipper.write(frame(MessageType.Register, Buffer.from('{}')));
  await closedBy(skipper);

  const wrongVersion = await rawSocket(interchange.port);
  const auth = Buffer.alloc(70);
  auth.writeUInt32BE(MAGIC, 0);
  auth.writeUInt16BE(99, 4);
  wrongVersion.write(frame(MessageType.Auth, auth));
  await closedBy(wrongVersion);

  // Replay: the Auth frame a legitimate manager sent, played on a new connection.
  const recorded = good.sentBytes.find((b) => b[4] === MessageType.Auth)!;
  const replayer = await rawSocket(interchange.port);
  replayer.write(recorded);
  await closedBy(replayer);

  await waitFor(() => interchange.stats.connectionsDropped >= 6, 5000, 'six dropped connections');
  const log = await logText();
  assert.match(log, /dropped connection .*exceeds the cap/);
  assert.match(log, /dropped connection .*HMAC challenge/);
  assert.match(log, /dropped connection .*unauthenticated peer sent a frame of type 10/);
  assert.match(log, /dropped connection .*protocol version 99/);

  for (let id = 1; id <= 50; id++) interchange.submit(task(id));
  await good.until(() => good.tasks.length === 50);
  good.reply(good.tasks);
  await waitFor(() => delivered.length === 50);
  assert.ok(delivered.every((d) => d.outcome.ok));
});

test('a peer that connects and says nothing is dropped after the handshake timeout', async () => {
  const silent = await rawSocket(interchange.port);
  await closedBy(silent);
  assert.match(await logText(), /no handshake and registration within 1000 ms/);
});

test('a manager that goes silent loses its tasks with ManagerLost after heartbeatThreshold', async () => {
  const manager = await fake();
  await manager.register({ capacity: 2, managerId: 'quiet-one', hostname: 'node7' });
  interchange.submit(task(1));
  interchange.submit(task(2));
  await manager.until(() => manager.tasks.length === 2);
  await waitFor(() => delivered.length === 2, 4000, 'ManagerLost');
  for (const { outcome } of delivered) {
    assert.equal(outcome.ok, false);
    const error = (outcome as { error: Error }).error;
    assert.ok(error instanceof ManagerLost);
    assert.equal(error.managerId, 'quiet-one');
    assert.equal(error.hostname, 'node7');
    assert.match(error.message, /no heartbeat/);
  }
  assert.deepEqual(interchange.managers(), []);
});

test('a manager that keeps heartbeating is not lost', async () => {
  const manager = await fake();
  await manager.register();
  const beat = setInterval(() => manager.heartbeat(), 100);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(interchange.managers().length, 1);
    assert.ok(manager.received.some((r) => r.type === MessageType.Heartbeat), 'the interchange heartbeats too');
  } finally {
    clearInterval(beat);
  }
});

test('a manager whose connection drops loses its tasks with ManagerLost at once', async () => {
  const manager = await fake();
  await manager.register({ capacity: 1 });
  interchange.submit(task(1));
  await manager.until(() => manager.tasks.length === 1);
  manager.close();
  await waitFor(() => delivered.length === 1);
  assert.ok((delivered[0]!.outcome as { error: Error }).error instanceof ManagerLost);
});

test('an argument that cannot be serialized fails its task with SerializationError naming the argument; others run', async () => {
  const manager = await fake();
  await manager.register({ capacity: 10 });
  interchange.submit(task(1, undefined, [1, () => 2]));
  interchange.submit(task(2));
  await manager.until(() => manager.tasks.length === 1);
  assert.equal(manager.tasks[0]!.taskId, 2);
  const failure = delivered.find((d) => d.taskId === 1)!.outcome as { error: Error };
  assert.ok(failure.error instanceof SerializationError);
  assert.match(failure.error.message, /argument 1 of app f \(task 1\)/);
});

test('a task bigger than the frame cap fails with SerializationError instead of being sent', async () => {
  const manager = await fake();
  await manager.register({ capacity: 10 });
  interchange.submit(task(1, undefined, ['x'.repeat(100 * 1024)]));
  interchange.submit(task(2));
  await manager.until(() => manager.tasks.length === 1);
  const failure = delivered.find((d) => d.taskId === 1)!.outcome as { error: Error };
  assert.ok(failure.error instanceof SerializationError);
  assert.match(failure.error.message, /exceed the frame cap/);
});

test('holding a block asks its managers to drain and gives them no more tasks; idleSince follows the work', async () => {
  const a = await fake();
  await a.register({ blockId: 'A', capacity: 5 });
  const b = await fake();
  await b.register({ blockId: 'B', capacity: 5 });
  assert.notEqual(interchange.idleSince('A'), undefined);
  assert.equal(interchange.idleSince('nope'), undefined);
  interchange.holdBlock('A');
  await a.until(() => a.received.some((r) => r.type === MessageType.Drain));
  for (let id = 1; id <= 4; id++) interchange.submit(task(id));
  await b.until(() => b.tasks.length === 4);
  assert.equal(a.tasks.length, 0);
  assert.equal(interchange.idleSince('B'), undefined);
  b.reply(b.tasks);
  await waitFor(() => interchange.idleSince('B') !== undefined);
});

test('cancel removes a queued task; close() tells managers to shut down', async () => {
  interchange.submit(task(1));
  assert.equal(interchange.cancel(1), true);
  assert.equal(interchange.cancel(1), false);
  const manager = await fake();
  await manager.register();
  await interchange.close(1000);
  assert.ok(manager.received.some((r) => r.type === MessageType.Shutdown));
  await manager.until(() => manager.closeReason !== undefined);
});

test('hasRegistered is true once a manager of the block registered, and stays true after it is lost', async () => {
  assert.equal(interchange.hasRegistered('B7'), false);
  const manager = await fake();
  await manager.register({ blockId: 'B7' });
  assert.equal(interchange.hasRegistered('B7'), true);
  assert.equal(interchange.hasRegistered('B8'), false);
  manager.close();
  await waitFor(() => interchange.managers().length === 0);
  assert.equal(interchange.hasRegistered('B7'), true);
});

test('a task failed for its argument does not keep the next one from its manager (capacity 1)', async () => {
  interchange.submit(task(1, undefined, [() => 2]));
  interchange.submit(task(2));
  const manager = await fake();
  await manager.register({ capacity: 1 });
  await manager.until(() => manager.tasks.length === 1);
  assert.equal(manager.tasks[0]!.taskId, 2);
});

test('a task goes to an idle manager before one that is busy', async () => {
  const a = await fake();
  await a.register({ capacity: 10, managerId: 'A' });
  const b = await fake();
  await b.register({ capacity: 10, managerId: 'B' });
  interchange.submit(task(1));
  await waitFor(() => a.tasks.length + b.tasks.length === 1);
  const [busy, idle] = a.tasks.length === 1 ? [a, b] : [b, a];
  for (let id = 2; id <= 4; id++) {
    interchange.submit(task(id));
    await idle.until(() => idle.tasks.length === 1);
    assert.equal(busy.tasks.length, 1, `task ${id} went to the busy manager`);
    idle.reply(idle.tasks.splice(0));
    await waitFor(() => delivered.some((d) => d.taskId === id));
  }
});
