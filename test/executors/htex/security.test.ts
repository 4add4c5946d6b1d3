import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { FrameLink } from '../../../src/executors/htex/link.js';
import {
  NonceCache, SECRET_ENV, clientHandshake, createSelfSignedCertificate, generateSecret, readSecret, serverHandshake, writeSecretFile,
} from '../../../src/executors/htex/security.js';

function withDir(body: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'htex-security-'));
    try { await body(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

test('the secret file is written 0600 and read back; a file readable by others is refused', withDir((dir) => {
  const secret = generateSecret();
  const path = join(dir, 'secret');
  writeFileSync(path, 'old', { mode: 0o644 });
  writeSecretFile(path, secret);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readSecret(path), secret);
  chmodSync(path, 0o644);
  assert.throws(() => readSecret(path), /readable by others/);
}));

test('without a file the secret comes from the environment; a malformed secret is refused', () => {
  const secret = generateSecret();
  assert.deepEqual(readSecret(undefined, { [SECRET_ENV]: secret.toString('hex') }), secret);
  assert.throws(() => readSecret(undefined, {}), /no secret/);
  assert.throws(() => readSecret(undefined, { [SECRET_ENV]: 'abc' }), /64 hex digits/);
});

test('the nonce cache accepts each nonce once', () => {
  const cache = new NonceCache(2);
  const a = Buffer.from('a'), b = Buffer.from('b'), c = Buffer.from('c');
  assert.equal(cache.accept(a), true);
  assert.equal(cache.accept(a), false);
  assert.equal(cache.accept(b), true);
  assert.equal(cache.accept(c), true); // evicts the oldest
});

/** Runs both sides of the handshake over loopback TCP; returns each side's error message or 'ok'. */
async function handshake(serverSecret: Buffer, clientSecret: Buffer): Promise<{ server: string; client: string }> {
  const nonces = new NonceCache();
  let serverResult!: Promise<string>;
  const server = createServer((socket) => {
    serverResult = new Promise((resolve) => {
      const link = new FrameLink(socket, 1024, () => {}, () => {});
      link.onClose(() => resolve('closed'));
      serverHandshake(link, serverSecret, nonces, (error) => {
        resolve(error ? error.message : 'ok');
        if (error) link.destroy(error.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const socket: Socket = connect({ host: '127.0.0.1', port });
  const client = await new Promise<string>((resolve) => {
    const link = new FrameLink(socket, 1024, () => {}, () => {});
    link.onClose(() => resolve('closed'));
    clientHandshake(link, clientSecret, (error) => resolve(error ? error.message : 'ok'));
  });
  const result = { server: await serverResult, client };
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  return result;
}

test('peers holding the same secret authenticate each other', async () => {
  const secret = generateSecret();
  assert.deepEqual(await handshake(secret, secret), { server: 'ok', client: 'ok' });
});

test('a client with the wrong secret is refused by the interchange', async () => {
  const result = await handshake(generateSecret(), generateSecret());
  assert.match(result.server, /HMAC challenge/);
  assert.notEqual(result.client, 'ok');
});

test('the per-run TLS certificate is a self-signed certificate with its key readable only by its owner', withDir(async (dir) => {
  const material = await createSelfSignedCertificate(dir);
  const cert = new X509Certificate(material.cert);
  assert.match(cert.subject, /parsl-ts interchange/);
  assert.equal(cert.checkIssued(cert), true);
  assert.equal(statSync(join(dir, 'htex-tls.key')).mode & 0o777, 0o600);
}));
