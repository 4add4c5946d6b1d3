/**
 * Who may talk to the interchange. Every connection starts with a mutual HMAC challenge
 * over fresh nonces before any other frame is read:
 *
 *   interchange → peer   Hello   magic, protocol version, server nonce (32 random bytes)
 *   peer → interchange   Auth    magic, protocol version, client nonce, HMAC(secret, "client" ‖ server nonce ‖ client nonce)
 *   interchange → peer   Welcome HMAC(secret, "server" ‖ client nonce ‖ server nonce)
 *
 * A recorded Auth is useless on another connection (the server nonce differs), and a
 * client nonce seen before is refused outright. The secret is 32 random bytes per run; it
 * reaches managers through a 0600 file or the environment, never the command line.
 * `encrypted: true` runs the same exchange inside TLS with a per-run self-signed certificate.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  HANDSHAKE_MAX_FRAME_BYTES, MAGIC, MessageType, PROTOCOL_VERSION, ProtocolError, frame, type FrameReader,
} from './protocol.js';

/** The environment variable a manager reads the secret from when it has no secret file. */
export const SECRET_ENV = 'PARSL_HTEX_SECRET';
const NONCE_BYTES = 32;

export function generateSecret(): Buffer {
  return randomBytes(32);
}

/** Writes the secret (hex) readable by its owner only. */
export function writeSecretFile(path: string, secret: Buffer): void {
  writeFileSync(path, `${secret.toString('hex')}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its old mode otherwise
}

/** Reads the secret from `path`, or from $PARSL_HTEX_SECRET when no path is given. */
export function readSecret(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Buffer {
  let text: string;
  if (path !== undefined) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new Error(`secret file ${path} is readable by others (mode ${mode.toString(8)}); it must be 0600`);
    text = readFileSync(path, 'utf8').trim();
  } else if (env[SECRET_ENV]) {
    text = env[SECRET_ENV]!.trim();
  } else {
    throw new Error(`no secret: pass --secret-file or set ${SECRET_ENV}`);
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new Error('the secret must be 64 hex digits');
  return Buffer.from(text, 'hex');
}

function proof(secret: Buffer, role: 'client' | 'server', first: Buffer, second: Buffer): Buffer {
  return createHmac('sha256', secret).update(role).update(first).update(second).digest();
}

/** Client nonces already accepted, so that no Auth frame is ever accepted twice. */
export class NonceCache {
  #seen = new Set<string>();
  constructor(private readonly limit = 100_000) {}

  /** True the first time a nonce is offered. */
  accept(nonce: Buffer): boolean {
    const key = nonce.toString('base64');
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.limit) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(key);
    return true;
  }
}

/** What a handshake needs from a connection. */
export interface HandshakeLink {
  reader: FrameReader;
  send(data: Buffer): void;
}

function helloPayload(nonce: Buffer): Buffer {
  const out = Buffer.allocUnsafe(6 + NONCE_BYTES);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt16BE(PROTOCOL_VERSION, 4);
  nonce.copy(out, 6);
  return out;
}

function readPreamble(payload: Buffer, expectedLength: number, who: string): void {
  if (payload.length < 6 || payload.readUInt32BE(0) !== MAGIC) throw new ProtocolError(`${who} is not a parsl-ts peer (bad magic)`);
  const version = payload.readUInt16BE(4);
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError(`${who} speaks wire protocol version ${version}, this side speaks version ${PROTOCOL_VERSION}`);
  }
  if (payload.length !== expectedLength) throw new ProtocolError(`${who} sent a malformed handshake frame`);
}

/**
 * Interchange side. Sends Hello and calls `done` synchronously from the frame handler once
 * the peer has proved it holds the secret (so the caller installs its handler before the
 * next frame is parsed), or with the reason it was refused.
 */
export function serverHandshake(link: HandshakeLink, secret: Buffer, nonces: NonceCache, done: (error?: ProtocolError) => void): void {
  const serverNonce = randomBytes(NONCE_BYTES);
  const { reader } = link;
  const maxFrameBytes = reader.maxFrameBytes;
  reader.maxFrameBytes = HANDSHAKE_MAX_FRAME_BYTES;
  reader.onFrame = (type, payload) => {
    try {
      if (type !== MessageType.Auth) throw new ProtocolError(`unauthenticated peer sent a frame of type ${type}`);
      readPreamble(payload, 6 + 2 * NONCE_BYTES, 'peer');
      const clientNonce = payload.subarray(6, 6 + NONCE_BYTES);
      const offered = payload.subarray(6 + NONCE_BYTES);
      if (!timingSafeEqual(offered, proof(secret, 'client', serverNonce, clientNonce))) {
        throw new ProtocolError('peer failed the HMAC challenge (wrong secret)');
      }
      if (!nonces.accept(clientNonce)) throw new ProtocolError('peer replayed a handshake');
      link.send(frame(MessageType.Welcome, proof(secret, 'server', clientNonce, serverNonce)));
    } catch (error) {
      reader.stop();
      done(error instanceof ProtocolError ? error : new ProtocolError((error as Error).message));
      return;
    }
    reader.maxFrameBytes = maxFrameBytes;
    done();
  };
  link.send(frame(MessageType.Hello, helloPayload(serverNonce)));
}

/** Manager side: answers Hello, checks the interchange's proof, then calls `done`. */
export function clientHandshake(link: HandshakeLink, secret: Buffer, done: (error?: ProtocolError) => void): void {
  const clientNonce = randomBytes(NONCE_BYTES);
  const { reader } = link;
  const maxFrameBytes = reader.maxFrameBytes;
  reader.maxFrameBytes = HANDSHAKE_MAX_FRAME_BYTES;
  let serverNonce: Buffer | undefined;
  reader.onFrame = (type, payload) => {
    try {
      if (serverNonce === undefined) {
        if (type !== MessageType.Hello) throw new ProtocolError(`interchange sent frame type ${type} before Hello`);
        readPreamble(payload, 6 + NONCE_BYTES, 'interchange');
        serverNonce = Buffer.from(payload.subarray(6));
        const auth = Buffer.allocUnsafe(6 + 2 * NONCE_BYTES);
        auth.writeUInt32BE(MAGIC, 0);
        auth.writeUInt16BE(PROTOCOL_VERSION, 4);
        clientNonce.copy(auth, 6);
        proof(secret, 'client', serverNonce, clientNonce).copy(auth, 6 + NONCE_BYTES);
        link.send(frame(MessageType.Auth, auth));
        return;
      }
      if (type !== MessageType.Welcome || payload.length !== 32) throw new ProtocolError('the interchange refused the handshake (wrong secret?)');
      if (!timingSafeEqual(payload, proof(secret, 'server', clientNonce, serverNonce))) {
        throw new ProtocolError('the interchange failed the HMAC challenge (it does not hold this run\'s secret)');
      }
    } catch (error) {
      reader.stop();
      done(error instanceof ProtocolError ? error : new ProtocolError((error as Error).message));
      return;
    }
    reader.maxFrameBytes = maxFrameBytes;
    done();
  };
}

// ---------------------------------------------------------------- TLS

export interface TlsMaterial {
  key: string;
  cert: string;
  certPath: string;
}

const run = promisify(execFile);

/** A per-run self-signed certificate (P-256, 7 days) made with the `openssl` command. */
export async function createSelfSignedCertificate(dir: string): Promise<TlsMaterial> {
  const keyPath = join(dir, 'htex-tls.key');
  const certPath = join(dir, 'htex-tls.crt');
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '7', '-subj', '/CN=parsl-ts interchange',
    ], { timeout: 30_000 });
  } catch (error) {
    throw new Error(`cannot create the TLS certificate with openssl: ${(error as Error).message}`);
  }
  chmodSync(keyPath, 0o600);
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
}
