/** The interchange on real loopback TCP, driven by scripted managers (no worker processes). */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagerLost, SerializationError } from '../../../src/errors.js';
import { Interchange } from '../../../src/executors/htex/interchange.js';
import { MAGIC, MessageType, frame, idsFrame } from '../../../src/executors/htex/protocol.js';
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

test('a manager whose connection drops and that does not reconnect loses its tasks with ManagerLost', async () => {
  const manager = await fake();
  await manager.register({ capacity: 1 });
  interchange.submit(task(1));
  await manager.until(() => manager.tasks.length === 1);
  manager.close();
  await waitFor(() => delivered.length === 1, 3000, 'ManagerLost');
  const error = (delivered[0]!.outcome as { error: Error }).error;
  assert.ok(error instanceof ManagerLost);
  assert.match(error.message, /connection lost .*not back within 1 s/);
});

function registered(manager: FakeManager): { resumed: boolean; resultFrames: number } {
  const answers = manager.received.filter((r) => r.type === MessageType.Registered);
  const { resumed, resultFrames } = JSON.parse(answers.at(-1)!.payload.toString()) as { resumed: boolean; resultFrames: number };
  return { resumed, resultFrames };
}

test('a manager that reconnects with the same id keeps its tasks; those it never got are sent again; each result is delivered once', async () => {
  const first = await fake();
  await first.register({ capacity: 4, managerId: 'M' });
  for (let id = 1; id <= 4; id++) interchange.submit(task(id));
  await first.until(() => first.tasks.length === 4);
  first.reply([first.tasks[0]!]); // result of task 1 arrives
  await waitFor(() => delivered.length === 1);
  first.close();
  await new Promise((resolve) => setTimeout(resolve, 100));

  // It got tasks 1-3 (task 4 was lost with the link) and still has the result of 2 to send.
  const second = await fake();
  await second.register({ capacity: 4, managerId: 'M', holding: [2, 3] });
  assert.deepEqual(registered(second), { resumed: true, resultFrames: 1 });
  await second.until(() => second.tasks.length === 1);
  assert.equal(second.tasks[0]!.taskId, 4, 'the task that never arrived is sent again');
  const resend = first.tasks.find((t) => t.taskId === 2)!;
  second.reply([resend]);
  second.reply([resend]); // a duplicate is not delivered twice
  second.reply([first.tasks.find((t) => t.taskId === 3)!, second.tasks[0]!]);
  await waitFor(() => delivered.length === 4);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(delivered.map((d) => d.taskId).sort(), [1, 2, 3, 4]);
  assert.ok(delivered.every((d) => d.outcome.ok));
  assert.equal(interchange.managers().length, 1);
  assert.equal(interchange.stats.managersLost, 0);
});

test('a re-registration swaps the link even before the old one is seen to drop', async () => {
  const first = await fake();
  await first.register({ capacity: 2, managerId: 'M' });
  interchange.submit(task(1));
  await first.until(() => first.tasks.length === 1);
  const second = await fake();
  await second.register({ capacity: 2, managerId: 'M', holding: [1] });
  assert.equal(registered(second).resumed, true);
  await first.until(() => first.closeReason !== undefined);
  second.reply(first.tasks);
  await waitFor(() => delivered.length === 1);
  assert.ok(delivered[0]!.outcome.ok);
});

test('a manager that comes back after it was declared lost starts afresh; results of its old tasks are ignored', async () => {
  const first = await fake();
  await first.register({ capacity: 2, managerId: 'M' });
  interchange.submit(task(1));
  await first.until(() => first.tasks.length === 1);
  first.close();
  await waitFor(() => delivered.length === 1, 3000, 'ManagerLost');
  assert.ok((delivered[0]!.outcome as { error: Error }).error instanceof ManagerLost);

  const second = await fake();
  await second.register({ capacity: 2, managerId: 'M', holding: [1] });
  assert.deepEqual(registered(second), { resumed: false, resultFrames: 0 });
  // The DFK retries task 1 (try 1); it lands on the same manager, whose old try still reports.
  interchange.submit({ ...task(1), tryId: 1 });
  await second.until(() => second.tasks.length === 1);
  second.reply(first.tasks, () => 'stale');
  second.reply(second.tasks, () => 'fresh');
  await waitFor(() => delivered.length === 2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(delivered.length, 2);
  assert.deepEqual(delivered[1]!.outcome, { ok: true, value: 'fresh' });
});

test('result frames are acknowledged, so that a manager can forget them', async () => {
  const manager = await fake();
  await manager.register({ capacity: 10 });
  for (let id = 1; id <= 3; id++) interchange.submit(task(id));
  await manager.until(() => manager.tasks.length === 3);
  manager.reply([manager.tasks[0]!]);
  manager.reply([manager.tasks[1]!]);
  await waitFor(() => delivered.length === 2);
  interchange.submit(task(4));
  await manager.until(() => manager.received.some((r) => r.type === MessageType.Ack));
  const ack = manager.received.find((r) => r.type === MessageType.Ack)!;
  assert.equal(ack.payload.readDoubleBE(0), 2);
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

test('while a manager is idle, one holding more tasks than workers is asked for them back, and what it gives back goes to the idle one', async () => {
  const busy = await fake();
  await busy.register({ capacity: 10, workerCount: 1, managerId: 'busy' });
  for (let id = 1; id <= 3; id++) interchange.submit(task(id));
  await busy.until(() => busy.tasks.length === 3);
  const idle = await fake();
  await idle.register({ capacity: 10, workerCount: 1, managerId: 'idle' });
  await busy.until(() => busy.received.some((r) => r.type === MessageType.Reclaim));
  // As a real manager does: its worker is stuck on task 1, so it wants no more than that one.
  const capacity = Buffer.alloc(4);
  capacity.writeUInt32BE(1);
  busy.link.send(idsFrame(MessageType.Returned, [2, 3]));
  busy.link.send(frame(MessageType.Capacity, capacity));
  await idle.until(() => idle.tasks.length === 2);
  assert.deepEqual(idle.tasks.map((t) => t.taskId), [2, 3]);
  busy.reply([busy.tasks[0]!]);
  idle.reply(idle.tasks);
  await waitFor(() => delivered.length === 3);
  assert.ok(delivered.every((d) => d.outcome.ok));
});
