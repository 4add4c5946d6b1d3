/** The wire's defences with a live executor: TLS, bad peers, version mismatch of a real worker-pool. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { app } from '../../src/index.js';
import { VERSION } from '../../src/version.js';
import { startHtex, stopHtex, waitFor } from './htex-helpers.js';

const CLI = fileURLToPath(new URL('../../bin/parsl-ts.js', import.meta.url));
const square = app(function square(x: number) { return x * x; });

function logOf(runDir: string): string {
  try { return readFileSync(join(runDir, 'parsl.log'), 'utf8'); } catch { return ''; }
}

test('encrypted: true runs every link in TLS; a plain-TCP peer is dropped and logged while tasks keep flowing', async () => {
  const run = await startHtex({ encrypted: true });
  try {
    assert.equal(await square(7), 49);
    assert.match(readFileSync(join(run.runDir, 'htex', 'htex-tls.crt'), 'utf8'), /BEGIN CERTIFICATE/);
    const plain = connect({ host: '127.0.0.1', port: run.executor.port });
    plain.on('error', () => {});
    plain.resume();
    plain.write('plain text, not a TLS hello\n');
    const squares = Promise.all(Array.from({ length: 200 }, (_, i) => square(i)));
    await new Promise((resolve) => plain.on('close', resolve));
    assert.deepEqual(await squares, Array.from({ length: 200 }, (_, i) => i * i));
    await waitFor(() => /dropped connection .*TLS handshake failed/.test(logOf(run.runDir)), 5000, 'the drop in the log');
  } finally {
    await stopHtex(run);
  }
});

test('garbage and unauthenticated connections to a live interchange are dropped; tasks keep flowing', async () => {
  const run = await startHtex();
  try {
    assert.equal(await square(3), 9);
    const peers = ['GET / HTTP/1.0\r\n\r\n', '\x00\x00\x00\x05\x02hello', '\xff'.repeat(64)].map((text) => {
      const socket = connect({ host: '127.0.0.1', port: run.executor.port });
      socket.on('error', () => {});
      socket.resume(); // read, so that the server's close is seen
      socket.write(Buffer.from(text, 'latin1'));
      return new Promise((resolve) => socket.on('close', resolve));
    });
    const squares = await Promise.all(Array.from({ length: 200 }, (_, i) => square(i)));
    await Promise.all(peers);
    assert.equal(squares[199], 199 * 199);
    await waitFor(() => (logOf(run.runDir).match(/dropped connection/g) ?? []).length >= 3, 5000, 'three drops in the log');
    assert.equal(run.executor.managers().length, 1);
  } finally {
    await stopHtex(run);
  }
});

test('a worker-pool of another parsl-ts version is refused and exits naming both versions', async () => {
  const run = await startHtex();
  try {
    const secretFile = join(run.runDir, 'htex', 'secret');
    const result = await promisify(execFile)(process.execPath, [CLI, 'worker-pool', '--address', '127.0.0.1', '--port', String(run.executor.port),
      '--secret-file', secretFile, '--block-id', 'intruder', '--max-workers-per-node', '1', '--report-version', '0.0.1'], { timeout: 20_000 })
      .then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /refused/);
    assert.match(result.stderr, new RegExp(`parsl-ts ${VERSION.replace(/\./g, '\\.')}`));
    assert.match(result.stderr, /parsl-ts 0\.0\.1/);
    await waitFor(() => /refused manager .*version mismatch/.test(logOf(run.runDir)), 5000, 'the refusal in the log');
    assert.equal(await square(4), 16);
  } finally {
    await stopHtex(run);
  }
});

test('a worker-pool with the wrong secret is refused and exits', async () => {
  const run = await startHtex();
  try {
    const result = await promisify(execFile)(process.execPath, [CLI, 'worker-pool', '--address', '127.0.0.1', '--port', String(run.executor.port),
      '--heartbeat-threshold', '3'], { timeout: 20_000, env: { ...process.env, PARSL_HTEX_SECRET: 'ab'.repeat(32) } })
      .then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /handshake with the interchange failed/);
    await waitFor(() => /dropped connection .*HMAC challenge/.test(logOf(run.runDir)), 5000, 'the drop in the log');
  } finally {
    await stopHtex(run);
  }
});
