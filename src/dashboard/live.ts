/**
 * Live updates: one poller per server watches the database's change token (SQLite's
 * `data_version`, O(1)) and, when it moves, sends each open page a server-sent event —
 * a workflow page gets its run's task counts by state, so its counter moves at once and
 * it refetches its charts; the workflows list just refetches.
 */
import type { ServerResponse } from 'node:http';
import type { DashboardDatabase } from './database.js';
import { getWorkflow, taskStateCounts } from './queries/workflows.js';

/** The payload of an `update` event on a workflow page. */
export interface RunPulse {
  runId: string;
  state: string;
  states: Record<string, number>;
  tasks: number;
}

interface Subscriber {
  runId: string | undefined;
  response: ServerResponse;
}

const KEEPALIVE_MS = 15_000;

export class LiveUpdates {
  readonly #subscribers = new Set<Subscriber>();
  #timer: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #lastToken: string | undefined;
  #polling = false;

  constructor(private readonly db: DashboardDatabase, private readonly pollMs: number) {}

  /** Starts an event stream on `response`; it ends when the client goes away or the server stops. */
  subscribe(runId: string | undefined, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 1000\n\n');
    const subscriber: Subscriber = { runId, response };
    this.#subscribers.add(subscriber);
    response.on('close', () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#stopTimers();
    });
    this.#startTimers();
    // Note the database's state now, so a write made before the first poll still counts as a change,
    // and send the counts at once: the page's own fetches may have missed a change made meanwhile.
    void (async () => {
      this.#lastToken ??= await this.db.changeToken();
      const data = runId === undefined ? undefined : await this.pulse(runId);
      if (data !== undefined && !response.writableEnded) response.write(`event: update\ndata: ${JSON.stringify(data)}\n\n`);
    })().catch(() => {});
  }

  close(): void {
    this.#stopTimers();
    for (const subscriber of this.#subscribers) subscriber.response.end();
    this.#subscribers.clear();
  }

  #startTimers(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#poll(), this.pollMs);
    this.#keepalive = setInterval(() => {
      for (const subscriber of this.#subscribers) subscriber.response.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
  }

  #stopTimers(): void {
    clearInterval(this.#timer);
    clearInterval(this.#keepalive);
    this.#timer = undefined;
    this.#keepalive = undefined;
  }

  async #poll(): Promise<void> {
    if (this.#polling) return; // a slow database: skip a beat rather than pile up queries
    this.#polling = true;
    try {
      const token = await this.db.changeToken();
      if (token === this.#lastToken) return;
      this.#lastToken = token;
      const runIds = new Set([...this.#subscribers].map((s) => s.runId));
      for (const runId of runIds) {
        const data = runId === undefined ? { token } : await this.pulse(runId);
        if (data === undefined) continue;
        const frame = `event: update\ndata: ${JSON.stringify(data)}\n\n`;
        for (const subscriber of this.#subscribers) if (subscriber.runId === runId) subscriber.response.write(frame);
      }
    } catch {
      // The database went away for a moment (PostgreSQL restart): the next poll tries again.
    } finally {
      this.#polling = false;
    }
  }

  async pulse(runId: string): Promise<RunPulse | undefined> {
    const workflow = await getWorkflow(this.db, runId);
    if (workflow === undefined) return undefined;
    const states = await taskStateCounts(this.db, runId);
    return { runId, state: workflow.state, states, tasks: Object.values(states).reduce((a, b) => a + b, 0) };
  }
}
