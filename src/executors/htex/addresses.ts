/**
 * Finding an address of the driver that a compute node can reach (Parsl's address probing):
 * the driver offers every non-loopback address it has; each manager tries them all at once
 * and keeps the first that accepts a connection.
 */
import { networkInterfaces, hostname } from 'node:os';
import { connect } from 'node:net';

/** Every non-loopback IPv4 address of this machine, else its hostname. */
export function driverAddresses(): string[] {
  const found: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (!entry.internal && entry.family === 'IPv4' && !found.includes(entry.address)) found.push(entry.address);
    }
  }
  return found.length > 0 ? found : [hostname()];
}

/** Splits the `address` option or `--address` flag: one address, or several separated by commas. */
export function addressList(address: string): string[] {
  return address.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
}

/** One round: connects to every address at once; resolves with the first that accepts, or the errors. */
function probeOnce(addresses: string[], port: number, timeoutMs: number): Promise<{ address?: string; errors: Map<string, string> }> {
  return new Promise((done) => {
    const errors = new Map<string, string>();
    const sockets = addresses.map((address) => {
      const socket = connect({ host: address, port });
      socket.once('connect', () => finish(address));
      socket.once('error', (error) => {
        errors.set(address, error.message);
        if (errors.size === addresses.length) finish(undefined);
      });
      return socket;
    });
    const timer = setTimeout(() => {
      for (const address of addresses) if (!errors.has(address)) errors.set(address, `no answer within ${timeoutMs / 1000} s`);
      finish(undefined);
    }, timeoutMs);
    let finished = false;
    function finish(address: string | undefined): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      done({ address, errors });
    }
  });
}

/**
 * The first of `addresses` where something listens on `port`, trying them all in rounds
 * until `deadlineMs` has passed. A single address is returned as is (the link reports its
 * own errors). Throws, naming every address and why it failed, when none answers.
 */
export async function probeAddresses(addresses: string[], port: number, deadlineMs: number, roundTimeoutMs = 5000): Promise<string> {
  if (addresses.length === 1) return addresses[0]!;
  if (addresses.length === 0) throw new Error('no interchange address given');
  const until = Date.now() + deadlineMs;
  let errors = new Map<string, string>();
  for (;;) {
    const round = await probeOnce(addresses, port, Math.min(roundTimeoutMs, Math.max(100, until - Date.now())));
    if (round.address !== undefined) return round.address;
    errors = round.errors;
    if (Date.now() + 1000 > until) break;
    await new Promise((wake) => setTimeout(wake, 1000));
  }
  const why = addresses.map((a) => `${a}: ${errors.get(a) ?? 'not tried'}`).join('; ');
  throw new Error(`none of the interchange's addresses answered on port ${port} within ${Math.round(deadlineMs / 1000)} s (${why}); `
    + 'set the executor\'s `address` to one this node can reach');
}
