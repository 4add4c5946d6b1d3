/**
 * A framed, duplex connection (TCP, TLS or a pipe to a worker process). Frames written in
 * the same tick leave in one system call: the socket is corked on the first write and
 * uncorked on the next tick.
 */
import type { Socket } from 'node:net';
import { FrameReader, ProtocolError, type FrameHandler } from './protocol.js';

export class FrameLink {
  readonly reader: FrameReader;
  readonly socket: Socket;
  #corked = false;
  #closed = false;
  #ending = false;
  #closeReason: string | undefined;
  #onClose: ((reason: string) => void) | undefined;
  /**
   * Hold writes until the event loop has handled every pending input (setImmediate), not
   * just the current callback: a manager then sends the results of all its workers in one
   * write, and the driver wakes once for them.
   */
  coalesce = false;

  /**
   * `onError` is called with a ProtocolError (bad frame) or a socket error; the link is
   * already being destroyed then. `onClose` is called once, whatever ended the link.
   */
  constructor(socket: Socket, maxFrameBytes: number, onFrame: FrameHandler, private readonly onError: (error: Error) => void) {
    this.socket = socket;
    this.reader = new FrameReader(maxFrameBytes, onFrame);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (error) {
        this.reader.stop();
        const problem = error instanceof ProtocolError ? error : new ProtocolError(`frame handler failed: ${(error as Error).stack ?? error}`);
        this.onError(problem);
        this.destroy(problem.message);
      }
    });
    socket.on('error', (error) => {
      if (this.#closed) return;
      this.onError(error);
      this.destroy(error.message);
    });
    socket.on('close', () => this.#markClosed(this.#closeReason ?? 'connection closed by peer'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(listener: (reason: string) => void): void {
    this.#onClose = listener;
  }

  send(data: Buffer): void {
    if (this.#closed || this.#ending) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      if (this.coalesce) setImmediate(this.#uncork); else process.nextTick(this.#uncork);
    }
    this.socket.write(data);
  }

  /** Several buffers forming one or more frames, without concatenating them. */
  sendAll(parts: Buffer[]): void {
    for (const part of parts) this.send(part);
  }

  #uncork = (): void => {
    this.#corked = false;
    this.socket.uncork();
  };

  /** Sends what is queued, then closes. */
  end(reason: string): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.#closeReason = reason;
    if (this.#corked) this.#uncork();
    this.socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  destroy(reason: string): void {
    this.#closeReason ??= reason;
    this.reader.stop();
    this.socket.destroy();
    this.#markClosed(reason);
  }

  #markClosed(reason: string): void {
    if (this.#closed && this.#onClose === undefined) return;
    this.#closed = true;
    const listener = this.#onClose;
    this.#onClose = undefined;
    listener?.(this.#closeReason ?? reason);
  }

  ref(): void { this.socket.ref(); }
  unref(): void { this.socket.unref(); }
}
