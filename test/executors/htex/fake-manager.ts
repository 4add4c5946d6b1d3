/** Test helper: a scripted manager speaking the wire protocol over real TCP (no processes). */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { serialize } from 'node:v8';
import { FrameLink } from '../../../src/executors/htex/link.js';
import {
  MessageType, decodeTaskBatch, encodeResultBatch, frame, jsonFrame, type RegisterMessage, type WireTaskEntry,
} from '../../../src/executors/htex/protocol.js';
import { clientHandshake } from '../../../src/executors/htex/security.js';
import { VERSION } from '../../../src/version.js';

export interface Received { type: number; payload: Buffer }

export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw TCP connection, for peers that misbehave. */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves when the socket is closed by the other side (or errors). */
export function closedBy(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.resume();
  });
}

export class FakeManager {
  readonly link: FrameLink;
  readonly received: Received[] = [];
  readonly tasks: WireTaskEntry[] = [];
  /** Every byte this fake sent, for replay tests. */
  readonly sentBytes: Buffer[] = [];
  closeReason: string | undefined;
  #waiters: (() => void)[] = [];
  #onClosed: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.link = new FrameLink(socket, 1 << 26, (type, payload) => this.#onFrame(type, payload), () => {});
    this.link.onClose((reason) => { this.closeReason = reason; this.#onClosed?.(); this.#wake(); });
    const send = this.link.send.bind(this.link);
    this.link.send = (data: Buffer) => { this.sentBytes.push(Buffer.from(data)); send(data); };
  }

  static async connect(port: number, secret: Buffer, certPem?: string): Promise<FakeManager> {
    const socket: Socket = await new Promise((resolve, reject) => {
      const s: Socket = certPem === undefined
        ? connect({ host: '127.0.0.1', port }, () => resolve(s))
        : connectTls({ host: '127.0.0.1', port, ca: certPem, checkServerIdentity: () => undefined }, () => resolve(s));
      s.once('error', reject);
    });
    const fake = new FakeManager(socket);
    await new Promise<void>((resolve, reject) => {
      fake.#onClosed = () => reject(new Error(`connection closed during the handshake: ${fake.closeReason}`));
      clientHandshake(fake.link, secret, (error) => {
        if (error) { reject(error); return; }
        fake.link.reader.onFrame = (type, payload) => fake.#onFrame(type, payload);
        resolve();
      });
    });
    fake.#onClosed = undefined;
    return fake;
  }

  #onFrame(type: number, payload: Buffer): void {
    if (type === MessageType.Tasks) this.tasks.push(...decodeTaskBatch(payload).tasks);
    this.received.push({ type, payload: Buffer.from(payload) });
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('FakeManager: timed out');
      await new Promise<void>((resolve) => { this.#waiters.push(resolve); setTimeout(resolve, 20); });
    }
  }

  async register(overrides: Partial<RegisterMessage> = {}): Promise<Received> {
    const message: RegisterMessage = {
      managerId: `fake-${Math.random().toString(16).slice(2, 8)}`, blockId: '0', hostname: 'fakehost', pid: 1,
      workerCount: 1, capacity: 1, nodeVersion: process.versions.node, parslVersion: VERSION, accelerators: [], ...overrides,
    };
    this.link.send(jsonFrame(MessageType.Register, message));
    await this.until(() => this.received.some((r) => r.type === MessageType.Registered || r.type === MessageType.Refused) || this.closeReason !== undefined);
    return this.received.find((r) => r.type === MessageType.Registered || r.type === MessageType.Refused)!;
  }

  /** Answers tasks: ok with `value(task)`. */
  reply(tasks: WireTaskEntry[], value: (task: WireTaskEntry) => unknown = (t) => t.args[0]): void {
    const body: unknown[] = [];
    for (const task of tasks) body.push(task.tryId, 1, value(task));
    this.link.send(encodeResultBatch(tasks.map((t) => t.taskId), 0, serialize(body)));
  }

  heartbeat(): void {
    this.link.send(frame(MessageType.Heartbeat));
  }

  close(): void {
    this.link.destroy('test closed it');
  }
}
