/**
 * The manager's side of its connection to the interchange: connecting, the handshake and
 * registration (each attempt bounded in time), heartbeats, reconnecting after the link
 * drops, and noticing that the interchange is gone — nothing heard from it for
 * `heartbeatThreshold`, whatever stage the link is in. Result frames are kept until the
 * interchange acknowledges them, so that those lost with a link are sent again.
 */
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Logger } from '../../util/logger.js';
import { FrameLink } from './link.js';
import {
  MessageType, ProtocolError, frame, frameHeader, jsonFrame, parseJson, type RegisterMessage, type RegisteredMessage,
} from './protocol.js';
import { clientHandshake } from './security.js';

/** One connection attempt gets at most this long to reach registration (the interchange's own handshake timeout). */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** Pause between two connection attempts. */
const RETRY_DELAY_MS = 500;

export interface ManagerLinkOptions {
  address: string;
  port: number;
  /** PEM certificate of the interchange: connect with TLS and trust only it. */
  certPath: string | undefined;
  secret: Buffer;
  maxFrameBytes: number;
  /** Seconds. */
  heartbeatPeriod: number;
  heartbeatThreshold: number;
  logger: Logger;
  /**
   * The registration to send, built at each attempt (the capacity changes). After a lost
   * link, `holding` lists the tasks the manager holds; the link adds those whose results it keeps.
   */
  registration: (again: boolean) => RegisterMessage;
  /**
   * Registered with the interchange. `fresh`: registered again, but the interchange had given
   * this manager up (failed its tasks): what it held is no longer wanted.
   */
  onRegistered: (fresh: boolean) => void;
  /** Any other frame from the interchange once registered. */
  onFrame: (type: number, payload: Buffer) => void;
  /**
   * The interchange is gone, refused this manager, or is not ours: the manager must exit.
   * `registered`: whether it was ever registered.
   */
  onGone: (message: string, registered: boolean) => void;
}

type Stage = 'connecting' | 'handshake' | 'registering' | 'registered';

export class ManagerLink {
  #link: FrameLink | undefined;
  #stage: Stage = 'connecting';
  #everRegistered = false;
  /** When the interchange last spoke to a registered link (the start, before that). */
  #lastHeard = Date.now();
  /** What kept the last attempt from registering, for the final message. */
  #problem: string | undefined;
  #attemptTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #closed = false;
  /** Result frames sent or waiting to be sent, not yet acknowledged; the first is number #acked. */
  #unacked: { payload: Buffer; taskIds: number[] }[] = [];
  #unackedHead = 0;
  #acked = 0;

  constructor(readonly options: ManagerLinkOptions) {}

  /** What the attempt still in progress is waiting for (the deadline may come before its own timeout). */
  #stageInProgress(): string {
    return this.#stage === 'connecting' ? `cannot connect to the interchange at ${this.where}`
      : this.#stage === 'handshake' ? `the interchange at ${this.where} accepted the connection but did not complete the handshake`
        : `the interchange at ${this.where} did not answer the registration`;
  }

  get registered(): boolean {
    return this.#stage === 'registered';
  }

  get where(): string {
    return `${this.options.address}:${this.options.port}`;
  }

  /** Connects, and keeps watching: nothing heard for heartbeatThreshold means the interchange is gone. */
  start(): void {
    const { heartbeatPeriod, heartbeatThreshold } = this.options;
    this.#watchdog = setInterval(() => this.#tick(), Math.min(heartbeatPeriod * 1000, heartbeatThreshold * 500));
    this.#attempt();
  }

  /** Sends a frame if registered; otherwise it is dropped (callers re-send state on registration). */
  send(data: Buffer): void {
    if (this.#stage === 'registered') this.#link?.send(data);
  }

  /** A result frame (payload) from a worker: sent now if registered, and kept until acknowledged. */
  sendResults(payload: Buffer, taskIds: number[]): void {
    this.#unacked.push({ payload, taskIds });
    if (this.#stage === 'registered') this.#sendResultFrame(payload);
  }

  #sendResultFrame(payload: Buffer): void {
    this.#link?.send(frameHeader(MessageType.Results, payload.length));
    this.#link?.send(payload);
  }

  /** The interchange received `count` result frames in all: forget those. */
  #acknowledge(count: number): void {
    while (this.#acked < count && this.#unackedHead < this.#unacked.length) {
      this.#unacked[this.#unackedHead++] = undefined as never;
      this.#acked++;
    }
    if (this.#unackedHead === this.#unacked.length) {
      this.#unacked = [];
      this.#unackedHead = 0;
    } else if (this.#unackedHead > 1024 && this.#unackedHead * 2 > this.#unacked.length) {
      this.#unacked = this.#unacked.slice(this.#unackedHead);
      this.#unackedHead = 0;
    }
  }

  /** Stops everything; queued frames still leave. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    clearTimeout(this.#attemptTimer);
    this.#link?.end(reason);
  }

  #tick(): void {
    if (this.#closed) return;
    const silentFor = Date.now() - this.#lastHeard;
    const threshold = this.options.heartbeatThreshold;
    if (silentFor > threshold * 1000) {
      const seconds = (silentFor / 1000).toFixed(1);
      this.#gone(this.#stage === 'registered'
        ? `no message from the interchange for ${seconds} s (heartbeatThreshold ${threshold} s)`
        : `no registration with the interchange at ${this.where} within heartbeatThreshold (${threshold} s): ${this.#problem ?? this.#stageInProgress()}`);
      return;
    }
    if (this.#stage === 'registered') this.#link?.send(frame(MessageType.Heartbeat));
  }

  #gone(message: string): void {
    if (this.#closed) return;
    this.close(message);
    this.options.onGone(message, this.#everRegistered);
  }

  /** One attempt: connect, handshake, register, each bounded by the attempt's timeout. */
  #attempt(): void {
    if (this.#closed) return;
    const { address, port, certPath } = this.options;
    this.#stage = 'connecting';
    const socket: Socket = certPath === undefined
      ? connectTcp({ host: address, port })
      : connectTls({ host: address, port, ca: readFileSync(certPath), checkServerIdentity: () => undefined });
    socket.setNoDelay(true);
    let abandoned = false;
    const abandon = (problem: string): void => {
      if (abandoned) return;
      abandoned = true;
      clearTimeout(this.#attemptTimer);
      this.#problem = problem;
      if (this.#link?.socket === socket) this.#link = undefined;
      socket.destroy();
      if (this.#closed) return;
      this.options.logger.warn(`${problem}; retrying`);
      setTimeout(() => this.#attempt(), RETRY_DELAY_MS).unref();
    };
    const timeoutMs = Math.min(ATTEMPT_TIMEOUT_MS, this.options.heartbeatThreshold * 1000);
    this.#attemptTimer = setTimeout(() => {
      const seconds = timeoutMs / 1000;
      abandon(this.#stage === 'connecting' ? `cannot connect to the interchange at ${this.where} within ${seconds} s`
        : this.#stage === 'handshake' ? `the interchange at ${this.where} accepted the connection but did not complete the handshake within ${seconds} s`
          : `the interchange at ${this.where} did not answer the registration within ${seconds} s`);
    }, timeoutMs);
    this.#attemptTimer.unref();
    const onConnectError = (error: Error) => abandon(`connecting to the interchange at ${this.where} failed: ${error.message}`);
    socket.once('error', onConnectError);
    socket.once(certPath === undefined ? 'connect' : 'secureConnect', () => {
      socket.off('error', onConnectError);
      if (abandoned) return;
      this.#stage = 'handshake';
      this.#handshake(socket, abandon);
    });
  }

  #handshake(socket: Socket, abandon: (problem: string) => void): void {
    const link = new FrameLink(socket, this.options.maxFrameBytes, () => {}, (error) => {
      // A frame this side cannot make sense of: a bug or a stranger, not a network problem.
      if (error instanceof ProtocolError && this.#stage === 'registered') this.#gone(`link to the interchange failed: ${error.message}`);
    });
    link.coalesce = true;
    this.#link = link;
    link.onClose((reason) => {
      if (this.#link !== link || this.#closed) return;
      if (this.#stage === 'registered') {
        // Workers keep running; their results wait for the next link.
        this.#link = undefined;
        this.#stage = 'connecting';
        this.#problem = `lost the connection to the interchange (${reason})`;
        this.options.logger.warn(`${this.#problem}; reconnecting (for up to heartbeatThreshold since it was last heard)`);
        this.#attempt();
      } else if (this.#stage === 'handshake' && !this.#everRegistered) {
        this.#gone(`handshake with the interchange failed: it closed the connection (${reason}); wrong secret or protocol version?`);
      } else {
        abandon(`the interchange at ${this.where} closed the connection during ${this.#stage} (${reason})`);
      }
    });
    clientHandshake(link, this.options.secret, (error) => {
      if (error) {
        this.#gone(`handshake with the interchange failed: ${error.message}`);
        return;
      }
      this.#stage = 'registering';
      link.reader.onFrame = (type, payload) => this.#onFrame(type, payload);
      const registration = this.options.registration(this.#everRegistered);
      if (this.#everRegistered) {
        const holding = registration.holding ?? [];
        for (let i = this.#unackedHead; i < this.#unacked.length; i++) holding.push(...this.#unacked[i]!.taskIds);
        registration.holding = holding;
      }
      link.send(jsonFrame(MessageType.Register, registration));
    });
  }

  #onFrame(type: number, payload: Buffer): void {
    if (this.#stage !== 'registered') {
      if (type === MessageType.Refused) {
        this.#gone(`the interchange refused this manager: ${parseJson<{ message: string }>(payload).message}`);
        return;
      }
      if (type !== MessageType.Registered) throw new ProtocolError(`expected the answer to the registration, got frame type ${type}`);
      const answer = parseJson<RegisteredMessage>(payload);
      clearTimeout(this.#attemptTimer);
      const again = this.#everRegistered;
      this.#stage = 'registered';
      this.#lastHeard = Date.now();
      this.#everRegistered = true;
      if (answer.resumed) {
        // Send again what the interchange did not receive, and what waited for this link.
        this.#acknowledge(answer.resultFrames);
        for (let i = this.#unackedHead; i < this.#unacked.length; i++) this.#sendResultFrame(this.#unacked[i]!.payload);
        this.options.logger.info(`registered again with the interchange at ${this.where}; it kept this manager's tasks; `
          + `${this.#unacked.length - this.#unackedHead} result frame(s) sent again`);
      } else {
        // A fresh start (the first, or the interchange had given us up): nothing earlier is wanted.
        this.#unacked = [];
        this.#unackedHead = 0;
        this.#acked = 0;
        this.options.logger.info(`registered with the interchange at ${this.where}${again ? ' again, as a new manager (it had failed our tasks)' : ''}`);
      }
      this.options.onRegistered(again && !answer.resumed);
      return;
    }
    this.#lastHeard = Date.now();
    if (type === MessageType.Heartbeat) return;
    if (type === MessageType.Ack) {
      if (payload.length !== 8) throw new ProtocolError('malformed acknowledgement');
      this.#acknowledge(payload.readDoubleBE(0));
      return;
    }
    this.options.onFrame(type, payload);
  }
}
