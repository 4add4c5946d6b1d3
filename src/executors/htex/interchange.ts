/**
 * The interchange: the HighThroughputExecutor's broker, living in the driver's process
 * (docs/executors.md says why). It listens for managers, authenticates them (security.ts),
 * checks their versions, queues tasks by priority then submission order, gives each
 * manager as many as it has room for in one batch (idle managers first), relays results,
 * exchanges heartbeats, takes back a manager that reconnects after losing its link, and
 * fails the tasks of a manager that goes silent, or does not come back, with ManagerLost.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { ManagerLost } from '../../errors.js';
import { fromErrorRecord, type ErrorRecord } from '../../serialize/errors.js';
import { PriorityQueue } from '../../util/priority-queue.js';
import type { Logger } from '../../util/logger.js';
import { VERSION } from '../../version.js';
import type { ExecutorTask, TaskOutcome } from '../executor.js';
import type { ExecutorMonitor, TryPlacement } from '../../monitoring/events.js';
import { FrameLink } from './link.js';
import {
  MessageType, ProtocolError, decodeMonitoring, decodeResultBody, frame, frameHeader, jsonFrame, parseJson, readIds, readResultHeader,
  type RegisterMessage, type RegisteredMessage,
} from './protocol.js';
import { NonceCache, serverHandshake, type TlsMaterial } from './security.js';
import { CodeTable, encodeForManager } from './task-batches.js';

export interface InterchangeOptions {
  label: string;
  secret: Buffer;
  tls: TlsMaterial | undefined;
  /** Address to listen on. */
  host: string;
  /** Listen on a port in this range (inclusive); undefined: any free port. */
  portRange: [number, number] | undefined;
  /** Seconds. */
  heartbeatPeriod: number;
  heartbeatThreshold: number;
  maxFrameBytes: number;
  /** An unauthenticated, unregistered connection is dropped after this long. */
  handshakeTimeoutMs: number;
  logger: Logger;
  /** Every task that leaves the interchange (result or failure) goes through here once. */
  deliver: (taskId: number, tryId: number, outcome: TaskOutcome) => void;
  /** Monitoring on: tries running, resource samples and managers are reported here. */
  monitor?: ExecutorMonitor | undefined;
}

/** A manager whose link drops has this long (at most heartbeatThreshold) to reconnect before its tasks fail. */
const RECONNECT_GRACE_MS = 5000;
/** A manager still idle this long after it became so, with nothing queued here, makes busy managers give back tasks they cannot start soon. */
const STEAL_AFTER_MS = 20;

/** What the interchange knows about a connected manager (for status and scaling). */
export interface ManagerInfo extends Omit<RegisterMessage, 'accelerators' | 'holding'> {
  tasks: number;
  held: boolean;
  draining: boolean;
  registeredAt: number;
  /** Milliseconds timestamp since which it holds no task; undefined while busy. */
  idleSince: number | undefined;
}

interface ManagerRecord extends ManagerInfo {
  link: FrameLink;
  inFlight: Map<number, ExecutorTask>;
  knownCodes: Set<number>;
  lastHeard: number;
  lost: boolean;
  /** False while its link is down and it may still reconnect. */
  connected: boolean;
  reconnectTimer: NodeJS.Timeout | undefined;
  /** Result frames received since it registered, and the count last acknowledged to it. */
  resultFrames: number;
  acked: number;
  /** Asked to give back tasks it cannot start soon; not asked again until it answers. */
  reclaiming: boolean;
  /** Why the manager said it is ending (e.g. its block reached its walltime); it will not reconnect. */
  endReason?: string;
}

function peerName(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

export class Interchange {
  readonly options: InterchangeOptions;
  #server: Server | undefined;
  #port = 0;
  #queue = new PriorityQueue<ExecutorTask>();
  #managers = new Map<string, ManagerRecord>();
  /** Blocks any of whose managers ever registered (kept after they are lost or forgotten). */
  #registeredBlocks = new Set<string>();
  #rotation: ManagerRecord[] = [];
  #rotationStart = 0;
  #pending = new Set<FrameLink>();
  #nonces = new NonceCache();
  #codes = new CodeTable();
  #dispatchScheduled = false;
  #stealTimer: NodeJS.Timeout | undefined;
  #referenced = true;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #closing = false;
  /** Results relayed, tasks sent: for status and the bench. */
  #stats = { sent: 0, results: 0, managersLost: 0, connectionsDropped: 0 };

  constructor(options: InterchangeOptions) {
    this.options = options;
  }

  get port(): number {
    return this.#port;
  }

  get queued(): number {
    return this.#queue.size;
  }

  get running(): number {
    let total = 0;
    for (const manager of this.#managers.values()) total += manager.inFlight.size;
    return total;
  }

  get stats(): Readonly<{ sent: number; results: number; managersLost: number; connectionsDropped: number }> {
    return this.#stats;
  }

  /** Starts listening; resolves with the port. */
  async listen(): Promise<number> {
    const onConnection = (socket: Socket) => this.#accept(socket);
    const tls = this.options.tls;
    this.#server = tls === undefined
      ? createServer({ noDelay: true }, onConnection)
      : createTlsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, onConnection);
    // A TLS handshake failure (a plain-TCP or garbage peer) is logged and dropped.
    this.#server.on('tlsClientError', (error: Error, socket: Socket) => {
      this.#dropped(peerName(socket), `TLS handshake failed: ${error.message}`);
    });
    const range = this.options.portRange;
    const candidates: number[] = [];
    if (range === undefined) candidates.push(0);
    else {
      for (let i = 0; i < 20; i++) candidates.push(range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1)));
    }
    let lastError: Error | undefined;
    for (const port of candidates) {
      try {
        await new Promise<void>((resolve, reject) => {
          this.#server!.once('error', reject);
          // A deep accept queue: a thousand managers of one big block connect at once.
          this.#server!.listen({ port, host: this.options.host, backlog: 4096 }, () => { this.#server!.off('error', reject); resolve(); });
        });
        this.#port = (this.#server.address() as { port: number }).port;
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error as Error;
      }
    }
    if (lastError) throw new Error(`interchange cannot listen on ${this.options.host} ${range ? `ports ${range[0]}-${range[1]}` : ''}: ${lastError.message}`);
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), Math.min(this.options.heartbeatPeriod * 1000, this.options.heartbeatThreshold * 500));
    this.#heartbeatTimer.unref();
    if (!this.#referenced) this.#server.unref();
    this.options.logger.info(`interchange ${this.options.label}: listening on ${this.options.host}:${this.#port}${tls ? ' (TLS)' : ''}`);
    return this.#port;
  }

  // ------------------------------------------------------------ connections

  #accept(socket: Socket): void {
    if (this.#closing) { socket.destroy(); return; }
    socket.setNoDelay(true);
    const name = peerName(socket);
    const link: FrameLink = new FrameLink(socket, this.options.maxFrameBytes, () => {}, (error) => {
      if (this.#pending.delete(link)) this.#dropped(name, error.message);
    });
    if (!this.#referenced) link.unref();
    this.#pending.add(link);
    link.onClose(() => { clearTimeout(timer); this.#pending.delete(link); });
    const timer = setTimeout(() => {
      if (this.#pending.delete(link)) {
        this.#dropped(name, `no handshake and registration within ${this.options.handshakeTimeoutMs} ms`);
        link.destroy('handshake timeout');
      }
    }, this.options.handshakeTimeoutMs);
    timer.unref();
    serverHandshake(link, this.options.secret, this.#nonces, (error) => {
      if (error) {
        this.#pending.delete(link);
        clearTimeout(timer);
        this.#dropped(name, error.message);
        link.destroy(error.message);
        return;
      }
      link.reader.onFrame = (type, payload) => {
        if (type !== MessageType.Register) throw new ProtocolError(`expected registration, got frame type ${type}`);
        clearTimeout(timer);
        this.#pending.delete(link);
        this.#register(link, name, payload);
      };
    });
  }

  #dropped(peer: string, reason: string): void {
    this.#stats.connectionsDropped++;
    this.options.logger.warn(`interchange ${this.options.label}: dropped connection from ${peer}: ${reason}`);
  }

  #register(link: FrameLink, peer: string, payload: Buffer): void {
    const message = parseJson<RegisterMessage>(payload);
    if (typeof message.managerId !== 'string' || typeof message.blockId !== 'string' || !Number.isInteger(message.workerCount)
      || !Number.isInteger(message.capacity) || typeof message.parslVersion !== 'string' || typeof message.nodeVersion !== 'string') {
      throw new ProtocolError('malformed registration');
    }
    const nodeMajor = (version: string) => version.split('.')[0];
    if (message.parslVersion !== VERSION || nodeMajor(message.nodeVersion) !== nodeMajor(process.versions.node)) {
      const refusal = `version mismatch: the interchange runs parsl-ts ${VERSION} on Node ${process.versions.node}, `
        + `manager ${message.managerId} on ${message.hostname} runs parsl-ts ${message.parslVersion} on Node ${message.nodeVersion}`;
      this.options.logger.error(`interchange ${this.options.label}: refused manager from ${peer}: ${refusal}`);
      this.#stats.connectionsDropped++;
      link.send(jsonFrame(MessageType.Refused, { message: refusal }));
      link.end('refused');
      return;
    }
    const known = this.#managers.get(message.managerId);
    if (known !== undefined) {
      this.#resume(known, link, peer, message);
      return;
    }
    const manager: ManagerRecord = {
      managerId: message.managerId, blockId: message.blockId, hostname: String(message.hostname), pid: Number(message.pid),
      workerCount: message.workerCount, capacity: message.capacity, tasks: 0, held: false, draining: false,
      registeredAt: Date.now(), idleSince: Date.now(), nodeVersion: message.nodeVersion, parslVersion: message.parslVersion,
      link, inFlight: new Map(), knownCodes: new Set(), lastHeard: Date.now(), lost: false,
      connected: true, reconnectTimer: undefined, resultFrames: 0, acked: 0, reclaiming: false,
      cpuCount: Number(message.cpuCount) || 0, totalMemory: Number(message.totalMemory) || 0,
    };
    this.#managers.set(manager.managerId, manager);
    this.#registeredBlocks.add(manager.blockId);
    this.#rotation.push(manager);
    this.#attach(manager, link, false);
    this.options.logger.info(`interchange ${this.options.label}: manager ${manager.managerId} registered from ${peer} `
      + `(block ${manager.blockId}, host ${manager.hostname}, ${manager.workerCount} workers, capacity ${manager.capacity})`
      + (message.holding === undefined ? '' : ' again, as a new manager (it had been declared lost)'));
    this.#reportNode(manager);
    this.#scheduleDispatch();
  }

  /** Monitoring: the manager as a `node` row (active while it is known here). */
  #reportNode(manager: ManagerRecord): void {
    this.options.monitor?.node({
      executorLabel: this.options.label, uid: manager.managerId, hostname: manager.hostname, blockId: manager.blockId,
      cpuCount: manager.cpuCount ?? 0, totalMemory: manager.totalMemory ?? 0, workerCount: manager.workerCount,
      active: !manager.lost, nodeVersion: manager.nodeVersion, registeredAt: manager.registeredAt, lastHeartbeat: manager.lastHeard,
    });
  }

  #placements = new Map<string, TryPlacement>();

  /** Monitoring: when tries started on the manager's workers, and their resource samples. */
  #onMonitoring(manager: ManagerRecord, payload: Buffer): void {
    const report = decodeMonitoring(payload);
    const monitor = this.options.monitor;
    if (monitor === undefined) return;
    // One object per worker: the recorder sends each distinct placement once.
    const key = `${manager.managerId}/${report.rank}`;
    let placement = this.#placements.get(key);
    if (placement === undefined) {
      placement = { hostname: manager.hostname, blockId: manager.blockId, managerId: manager.managerId, workerId: String(report.rank) };
      this.#placements.set(key, placement);
    }
    const started = report.started;
    for (let i = 0; i + 2 < started.length; i += 3) monitor.tryRunning(started[i]!, started[i + 1]!, started[i + 2]!, placement);
    if (report.samples.length > 0) monitor.resourceSamples(report.samples, manager.hostname);
  }

  /**
   * A known manager registers again over a new link (its old one dropped, whether or not we
   * noticed yet): it keeps its tasks. Those it does not hold never reached it and are queued
   * again; it sends again the results we did not receive.
   */
  #resume(manager: ManagerRecord, link: FrameLink, peer: string, message: RegisterMessage): void {
    if (message.blockId !== manager.blockId) throw new ProtocolError(`manager id ${message.managerId} is already registered for block ${manager.blockId}`);
    const old = manager.link;
    manager.link = link;
    old.destroy('the manager reconnected');
    clearTimeout(manager.reconnectTimer);
    manager.reconnectTimer = undefined;
    manager.connected = true;
    manager.reclaiming = false;
    manager.lastHeard = Date.now();
    manager.capacity = message.capacity;
    // A frame lost with the old link may have carried code: teach it again.
    manager.knownCodes = new Set();
    const holding = new Set(message.holding ?? []);
    let requeued = 0;
    for (const [taskId, task] of manager.inFlight) {
      if (holding.has(taskId)) continue;
      manager.inFlight.delete(taskId);
      this.#queue.push(task, task.priority ?? 0);
      requeued++;
    }
    if (manager.inFlight.size === 0) manager.idleSince ??= Date.now();
    this.#attach(manager, link, true);
    if (manager.held) link.send(frame(MessageType.Drain));
    this.#reportNode(manager);
    this.options.logger.warn(`interchange ${this.options.label}: manager ${manager.managerId} reconnected from ${peer}; `
      + `${manager.inFlight.size} task(s) still with it${requeued > 0 ? `, ${requeued} that never reached it queued again` : ''}`);
    this.#scheduleDispatch();
  }

  #attach(manager: ManagerRecord, link: FrameLink, resumed: boolean): void {
    link.reader.onFrame = (type, body) => this.#onManagerFrame(manager, type, body);
    link.onClose((reason) => this.#onLinkClosed(manager, link, reason));
    const registered: RegisteredMessage = {
      heartbeatPeriod: this.options.heartbeatPeriod, heartbeatThreshold: this.options.heartbeatThreshold,
      resumed, resultFrames: manager.resultFrames,
    };
    manager.acked = manager.resultFrames;
    link.send(jsonFrame(MessageType.Registered, registered));
    this.#scheduleStealCheck();
  }

  #onManagerFrame(manager: ManagerRecord, type: number, payload: Buffer): void {
    manager.lastHeard = Date.now();
    switch (type) {
      case MessageType.Results: manager.resultFrames++; this.#onResults(manager, payload); return;
      case MessageType.Heartbeat: return;
      case MessageType.Returned: this.#onReturned(manager, readIds(payload)); return;
      case MessageType.Monitoring: this.#onMonitoring(manager, payload); return;
      case MessageType.Capacity:
        if (payload.length !== 4) throw new ProtocolError('malformed capacity');
        manager.capacity = payload.readUInt32BE(0);
        this.#scheduleDispatch();
        return;
      case MessageType.Draining: {
        const { reason, final } = parseJson<{ reason: string; final?: boolean }>(payload);
        manager.draining = true;
        // `final`: the manager is being ended (its block's walltime): its tasks go with it, for this reason.
        if (final) manager.endReason = reason;
        this.options.logger.info(`interchange ${this.options.label}: manager ${manager.managerId} is ${final ? 'ending' : 'draining'}: ${reason}`);
        return;
      }
      case MessageType.Log:
        this.options.logger.warn(`interchange ${this.options.label}: manager ${manager.managerId}: ${parseJson<{ message: string }>(payload).message}`);
        return;
      default:
        throw new ProtocolError(`unexpected frame type ${type} from manager ${manager.managerId}`);
    }
  }

  #onResults(manager: ManagerRecord, payload: Buffer): void {
    const header = readResultHeader(payload);
    const body = decodeResultBody(payload, header);
    const deliver = this.options.deliver;
    for (let i = 0; i < header.count; i++) {
      const taskId = header.taskIds[i]!;
      const tryId = body[3 * i] as number;
      // Not ours any more (failed as lost, or an earlier try of a task retried here).
      if (manager.inFlight.get(taskId)?.tryId !== tryId) continue;
      manager.inFlight.delete(taskId);
      const outcome: TaskOutcome = body[3 * i + 1] === 1
        ? { ok: true, value: body[3 * i + 2] }
        : { ok: false, error: fromErrorRecord(body[3 * i + 2] as ErrorRecord) };
      this.#stats.results++;
      deliver(taskId, tryId, outcome);
    }
    if (manager.inFlight.size === 0) {
      manager.idleSince = Date.now();
      this.#scheduleStealCheck();
    }
    this.#scheduleDispatch();
  }

  /** The manager gave back tasks it had not started (for an idle manager): queue them again. */
  #onReturned(manager: ManagerRecord, taskIds: number[]): void {
    manager.reclaiming = false;
    for (const taskId of taskIds) {
      const task = manager.inFlight.get(taskId);
      if (task === undefined) continue;
      manager.inFlight.delete(taskId);
      this.#queue.push(task, task.priority ?? 0);
    }
    if (manager.inFlight.size === 0) manager.idleSince ??= Date.now();
    this.#scheduleDispatch();
    this.#scheduleStealCheck();
  }

  #scheduleStealCheck(): void {
    if (this.#stealTimer !== undefined || this.#closing) return;
    this.#stealTimer = setTimeout(() => { this.#stealTimer = undefined; this.#steal(); }, STEAL_AFTER_MS);
    this.#stealTimer.unref();
  }

  /**
   * A manager sits idle while others hold more tasks than they have workers (sent when their
   * workers looked fast): ask those to give back what they cannot start soon.
   */
  #steal(): void {
    if (this.#queue.size > 0 || this.#closing) return;
    if (!this.#rotation.some((m) => m.connected && !m.held && !m.draining && m.inFlight.size === 0)) return;
    let holding = false;
    for (const manager of this.#rotation) {
      if (!manager.connected || manager.inFlight.size <= manager.workerCount) continue;
      holding = true;
      if (manager.reclaiming) continue;
      manager.reclaiming = true;
      manager.link.send(frame(MessageType.Reclaim));
    }
    if (holding) this.#scheduleStealCheck();
  }

  #onLinkClosed(manager: ManagerRecord, link: FrameLink, reason: string): void {
    if (manager.lost || manager.link !== link) return;
    if (manager.inFlight.size === 0 && (manager.draining || manager.held || this.#closing)) {
      this.#forget(manager);
      this.options.logger.info(`interchange ${this.options.label}: manager ${manager.managerId} disconnected (${reason})`);
      return;
    }
    if (this.#closing) {
      this.#lose(manager, `connection lost (${reason})`);
      return;
    }
    if (manager.endReason !== undefined) {
      this.#lose(manager, `${manager.endReason}; its running tasks ended with it`);
      return;
    }
    // It may be alive behind a broken link: give it the time to reconnect before failing its tasks.
    const graceMs = Math.min(RECONNECT_GRACE_MS, this.options.heartbeatThreshold * 1000);
    manager.connected = false;
    manager.reconnectTimer = setTimeout(() => this.#lose(manager, `connection lost (${reason}) and not back within ${graceMs / 1000} s`), graceMs);
    manager.reconnectTimer.unref();
    this.options.logger.warn(`interchange ${this.options.label}: manager ${manager.managerId} disconnected (${reason}) with ${manager.inFlight.size} task(s); `
      + `waiting ${graceMs / 1000} s for it to reconnect`);
  }

  #forget(manager: ManagerRecord): void {
    manager.lost = true;
    clearTimeout(manager.reconnectTimer);
    this.#managers.delete(manager.managerId);
    const index = this.#rotation.indexOf(manager);
    if (index >= 0) this.#rotation.splice(index, 1);
    this.#reportNode(manager);
  }

  /** Fails the manager's tasks with ManagerLost (the DFK retries them if it may). */
  #lose(manager: ManagerRecord, reason: string): void {
    if (manager.lost) return;
    this.#forget(manager);
    this.#stats.managersLost++;
    this.options.logger.error(`interchange ${this.options.label}: lost manager ${manager.managerId} (block ${manager.blockId}, host ${manager.hostname}): ${reason}; failing its ${manager.inFlight.size} task(s)`);
    manager.link.destroy(reason);
    const tasks = [...manager.inFlight.values()];
    manager.inFlight.clear();
    for (const task of tasks) {
      this.options.deliver(task.taskId, task.tryId, { ok: false, error: new ManagerLost(manager.managerId, manager.hostname, reason) });
    }
    this.#scheduleDispatch();
  }

  #heartbeat(): void {
    const now = Date.now();
    const beat = frame(MessageType.Heartbeat);
    for (const manager of [...this.#managers.values()]) {
      if (!manager.connected) continue; // its reconnect grace (shorter) decides
      const silentFor = now - manager.lastHeard;
      if (silentFor > this.options.heartbeatThreshold * 1000) {
        this.#lose(manager, `no heartbeat for ${(silentFor / 1000).toFixed(1)} s (heartbeatThreshold ${this.options.heartbeatThreshold} s)`);
      } else if (manager.connected) {
        this.#ack(manager);
        manager.link.send(beat);
        this.#reportNode(manager);
      }
    }
  }

  /** Tells the manager which result frames arrived, so that it can forget them. */
  #ack(manager: ManagerRecord): void {
    if (manager.acked === manager.resultFrames) return;
    manager.acked = manager.resultFrames;
    const payload = Buffer.allocUnsafe(8);
    payload.writeDoubleBE(manager.acked, 0);
    manager.link.send(frame(MessageType.Ack, payload));
  }

  // ------------------------------------------------------------ tasks

  submit(task: ExecutorTask): void {
    this.#queue.push(task, task.priority ?? 0);
    this.#scheduleDispatch();
  }

  /** Removes a task still queued here; true if it was. */
  cancel(taskId: number): boolean {
    return this.#queue.remove((task) => task.taskId === taskId);
  }

  /** Empties the queue, returning the tasks in order (shutdown, all blocks failed). */
  drainQueue(): ExecutorTask[] {
    return this.#queue.drain();
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => { this.#dispatchScheduled = false; this.#dispatch(); });
  }

  #dispatch(): void {
    const count = this.#rotation.length;
    if (this.#queue.size === 0 || count === 0 || this.#closing) return;
    const start = this.#rotationStart++ % count;
    // Idle managers first, then busy ones with room, each group in rotation order: a task
    // must not wait at a busy manager while another has nothing to do.
    const idle: ManagerRecord[] = [];
    const busy: ManagerRecord[] = [];
    for (let k = 0; k < count; k++) {
      const manager = this.#rotation[(start + k) % count]!;
      if (manager.held || manager.draining || !manager.connected || manager.capacity <= manager.inFlight.size) continue;
      (manager.inFlight.size === 0 ? idle : busy).push(manager);
    }
    const open = idle.length + busy.length;
    if (open === 0) return;
    // Spread a burst evenly: slow tasks must not pile up on the first manager.
    const share = Math.ceil(this.#queue.size / open);
    for (const group of [idle, busy]) {
      for (const manager of group) {
        if (this.#queue.size === 0) return;
        const room = Math.min(share, manager.capacity - manager.inFlight.size);
        const batch: ExecutorTask[] = [];
        while (batch.length < room && this.#queue.size > 0) batch.push(this.#queue.pop()!);
        this.#send(manager, batch);
      }
    }
  }

  #send(manager: ManagerRecord, batch: ExecutorTask[]): void {
    const { frames, failed } = encodeForManager(this.#codes, manager.knownCodes, batch, this.options.maxFrameBytes);
    if (frames.length > 0) this.#ack(manager);
    for (const { task, error } of failed) this.#failTask(task, error);
    // The failed tasks took room they never used: the manager may take more now.
    if (failed.length > 0) this.#scheduleDispatch();
    for (const { payload, tasks, newCodes } of frames) {
      for (const index of newCodes) manager.knownCodes.add(index);
      for (const task of tasks) manager.inFlight.set(task.taskId, task);
      this.#stats.sent += tasks.length;
      manager.link.send(frameHeader(MessageType.Tasks, payload.length));
      manager.link.send(payload);
    }
    if (manager.inFlight.size > 0) manager.idleSince = undefined;
  }

  #failTask(task: ExecutorTask, error: Error): void {
    this.options.deliver(task.taskId, task.tryId, { ok: false, error });
  }

  // ------------------------------------------------------------ control

  /** Stops giving tasks to the block's managers and asks them to finish and exit. */
  holdBlock(blockId: string): void {
    for (const manager of this.#managers.values()) {
      if (manager.blockId !== blockId || manager.held) continue;
      manager.held = true;
      manager.link.send(frame(MessageType.Drain));
      this.options.logger.info(`interchange ${this.options.label}: holding manager ${manager.managerId} of block ${blockId}`);
    }
  }

  managers(): ManagerInfo[] {
    return [...this.#managers.values()].map((m) => ({
      managerId: m.managerId, blockId: m.blockId, hostname: m.hostname, pid: m.pid, workerCount: m.workerCount,
      capacity: m.capacity, tasks: m.inFlight.size, held: m.held, draining: m.draining, registeredAt: m.registeredAt,
      idleSince: m.idleSince, nodeVersion: m.nodeVersion, parslVersion: m.parslVersion,
    }));
  }

  /** True once any manager of the block has registered, even if it has since been lost or forgotten. */
  hasRegistered(blockId: string): boolean {
    return this.#registeredBlocks.has(blockId);
  }

  /** Since when every manager of the block has been idle; undefined if one is busy or none is known. */
  idleSince(blockId: string): number | undefined {
    let since: number | undefined;
    for (const manager of this.#managers.values()) {
      if (manager.blockId !== blockId) continue;
      if (manager.idleSince === undefined) return undefined;
      since = since === undefined ? manager.idleSince : Math.max(since, manager.idleSince);
    }
    return since;
  }

  /** Sockets keep the driver alive only while tasks are outstanding. */
  setReferenced(referenced: boolean): void {
    if (this.#referenced === referenced) return;
    this.#referenced = referenced;
    const apply = (link: FrameLink) => (referenced ? link.ref() : link.unref());
    if (referenced) this.#server?.ref(); else this.#server?.unref();
    for (const manager of this.#managers.values()) apply(manager.link);
    for (const link of this.#pending) apply(link);
  }

  /** Tells every manager to stop, waits up to `timeoutMs` for them to go, then closes the port. */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#stealTimer);
    for (const manager of [...this.#managers.values()]) {
      if (!manager.connected) this.#lose(manager, 'executor shut down while its link was down');
    }
    const closed = [...this.#managers.values()].map((manager) => new Promise<void>((resolve) => {
      if (manager.link.closed) { resolve(); return; }
      const link = manager.link;
      link.onClose((reason) => { this.#onLinkClosed(manager, link, reason); resolve(); });
      manager.link.send(frame(MessageType.Shutdown));
      manager.link.end('executor shutdown');
    }));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    clearTimeout(timer);
    for (const manager of this.#managers.values()) manager.link.destroy('executor shutdown');
    for (const link of this.#pending) link.destroy('executor shutdown');
    this.#pending.clear();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
