/** A client of the dashboard's server-sent events, as a workflow page subscribes to them. */
import type { RunPulse } from '../../src/dashboard/live.js';

export interface UpdateStream {
  /** The next `update` event's payload (other frames, such as keep-alives, are skipped). */
  next(): Promise<RunPulse>;
  /** The next update for which `accept` holds (earlier ones are skipped). */
  until(accept: (pulse: RunPulse) => boolean): Promise<RunPulse>;
  close(): void;
}

export async function subscribeUpdates(dashboardUrl: string, runId: string): Promise<UpdateStream> {
  const abort = new AbortController();
  const response = await fetch(`${dashboardUrl}/api/events?run=${encodeURIComponent(runId)}`, { signal: abort.signal });
  if (!/text\/event-stream/.test(response.headers.get('content-type') ?? '')) {
    throw new Error(`/api/events answered ${response.status} ${response.headers.get('content-type')}`);
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const next = async (): Promise<RunPulse> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^event: update\ndata: (.*)$/m.exec(frame);
        if (data) return JSON.parse(data[1]!) as RunPulse;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buffer += value;
    }
  };
  return {
    next,
    async until(accept) {
      for (;;) {
        const pulse = await next();
        if (accept(pulse)) return pulse;
      }
    },
    close: () => abort.abort(),
  };
}
