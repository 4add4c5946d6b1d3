/**
 * HTTP and HTTPS staging against real servers started here (the HTTPS one with a
 * self-signed certificate made with openssl), on the thread pool and on HTEX workers that
 * run in a working directory of their own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  bashApp, File, HTTPInTaskStaging, HTTPSeparateTaskStaging, NoOpFileStaging, StagingError, type DataFuture,
} from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { EXECUTOR_KINDS, partialFiles, withStaging } from './staging-helpers.js';

const copy = bashApp((input: File, kw: { outputs: File[] }) => `cat ${input} > ${kw.outputs[0]}`);
const upper = bashApp((kw: { inputs: (File | DataFuture)[]; outputs: File[] }) => `tr a-z A-Z < ${kw.inputs[0]} > ${kw.outputs[0]}`);
const shout = bashApp((input: File, _kw: { stdout: File }) => `tr a-z A-Z < ${input}`);

const BIG = 'x'.repeat(200_000);
/** What the servers hold, and what they were asked. */
const files = new Map<string, string>([['/data/a.txt', 'alpha\n'], ['/data/b.txt', 'bravo\n']]);
const gets: string[] = [];
let flaky = 0;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url!;
  if (req.method === 'PUT') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => { files.set(path, Buffer.concat(chunks).toString()); res.statusCode = 201; res.end(); });
    return;
  }
  gets.push(path);
  if (path === '/moved/a.txt') { res.writeHead(302, { location: '/data/a.txt' }); res.end(); return; }
  if (path === '/drop/big.txt') {
    // Promises 200 kB, sends half, then drops the connection.
    res.writeHead(200, { 'content-length': String(BIG.length) });
    res.write(BIG.slice(0, BIG.length / 2), () => setTimeout(() => res.socket?.destroy(), 50));
    return;
  }
  if (path === '/flaky/c.txt' && flaky++ === 0) { res.statusCode = 503; res.end('busy'); return; }
  if (path === '/flaky/c.txt') { res.end('charlie\n'); return; }
  const body = files.get(path);
  if (body === undefined) { res.statusCode = 404; res.end('not here'); return; }
  res.end(body);
}

let http: Server;
let https: Server;
let base = '';
let secureBase = '';
let certificate = '';
/** A port nothing listens on. */
let closedPort = 0;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  const dir = tempDir('parsl-ts-https-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  certificate = readFileSync(join(dir, 'cert.pem'), 'utf8');
  http = createServer(handle);
  https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: certificate }, handle);
  base = `http://127.0.0.1:${await listen(http)}`;
  secureBase = `https://127.0.0.1:${await listen(https)}`;
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
});

after(() => {
  http?.closeAllConnections();
  http?.close();
  https?.closeAllConnections();
  https?.close();
});

for (const kind of EXECUTOR_KINDS) {
  describe(`HTTP staging on ${kind}`, { timeout: 120_000 }, () => {
    test('separate-task staging: the download and the upload are tasks of their own; the output is a DataFuture', async () => {
      await withStaging(kind, undefined, async ({ dfk, workDir }) => {
        const future = copy(new File(`${base}/data/a.txt`), { outputs: [new File(`${base}/up/${kind}-a.txt`)] });
        assert.equal(await future, 0);
        assert.equal(files.get(`/up/${kind}-a.txt`), 'alpha\n');
        const written = await future.outputs[0]!;
        assert.equal(written.filepath, kind === 'threads' ? `${kind}-a.txt` : join(workDir, `${kind}-a.txt`));
        assert.equal(readFileSync(join(workDir, 'a.txt'), 'utf8'), 'alpha\n', 'staged in where the workers run');
        assert.equal(dfk.counts().submitted, 3, 'the app, its stage-in task and its stage-out task');
      });
    });

    test('in-task staging runs on the app\'s worker: no other task; redirects are followed', async () => {
      await withStaging(kind, [new NoOpFileStaging(), new HTTPInTaskStaging()], async ({ dfk, workDir }) => {
        const future = copy(new File(`${base}/moved/a.txt`), { outputs: [new File(`${base}/up/${kind}-in.txt`)] });
        assert.equal(await future, 0);
        assert.equal(files.get(`/up/${kind}-in.txt`), 'alpha\n');
        assert.equal(readFileSync(join(workDir, 'a.txt'), 'utf8'), 'alpha\n');
        assert.equal(dfk.counts().submitted, 1);
      });
    });

    test('a file written by one app and read by the next on the same executor is not fetched again', async () => {
      await withStaging(kind, undefined, async () => {
        const first = copy(new File(`${base}/data/b.txt`), { outputs: [new File(`${base}/up/${kind}-b.txt`)] });
        const second = upper({ inputs: [first.outputs[0]!], outputs: [new File(`${base}/up/${kind}-B.txt`)] });
        const before = gets.length;
        assert.equal(await second, 0);
        assert.equal(files.get(`/up/${kind}-B.txt`), 'BRAVO\n');
        assert.deepEqual(gets.slice(before).filter((path) => path.includes(`${kind}-b.txt`)), [], 'read in place, never downloaded');
      });
    });

    test('stdout given as a File is staged out and appears as a DataFuture', async () => {
      await withStaging(kind, undefined, async () => {
        const future = shout(new File(`${base}/data/a.txt`), { stdout: new File(`${base}/logs/${kind}.out`) });
        assert.equal(await future, 0);
        assert.equal(future.outputs.length, 1);
        assert.equal((await future.outputs[0]!).filename, `${kind}.out`);
        assert.equal(files.get(`/logs/${kind}.out`), 'ALPHA\n');
      });
    });

    test('HTTPS with the self-signed server\'s certificate as CA; without it the TLS error is named', async () => {
      await withStaging(kind, [new NoOpFileStaging(), new HTTPSeparateTaskStaging({ ca: certificate })], async ({ workDir }) => {
        assert.equal(await copy(new File(`${secureBase}/data/a.txt`), { outputs: [new File(`${secureBase}/up/${kind}-tls.txt`)] }), 0);
        assert.equal(files.get(`/up/${kind}-tls.txt`), 'alpha\n');
        assert.deepEqual(partialFiles(workDir), []);
      });
      await withStaging(kind, undefined, async ({ workDir }) => {
        const url = `${secureBase}/data/b.txt`;
        await assert.rejects(copy(new File(url), { outputs: [new File(join(workDir, 'never.txt'))] }), (error: Error) => {
          assert.match(error.message, new RegExp(`${url.replace(/[.]/g, '\\.')}.*(certificate|self.signed)`, 'i'));
          return true;
        });
        assert.equal(existsSync(join(workDir, 'b.txt')), false);
      });
    });

    test('404, a refused connection and a server that drops mid-transfer: StagingError naming URL and reason, no partial file', async () => {
      for (const storage of [undefined, [new NoOpFileStaging(), new HTTPInTaskStaging()]]) {
        await withStaging(kind, storage, async ({ workDir }) => {
          const cases: [string, RegExp][] = [
            [`${base}/data/missing.txt`, /HTTP 404/],
            [`http://127.0.0.1:${closedPort}/data/refused.txt`, /ECONNREFUSED/],
            [`${base}/drop/big.txt`, /terminated|closed|socket|aborted/i],
          ];
          for (const [url, reason] of cases) {
            await assert.rejects(copy(new File(url), { outputs: [new File(join(workDir, 'never.txt'))] }), (error: Error) => {
              const staging = error instanceof StagingError ? error : (error.cause as Error);
              assert.ok(staging instanceof StagingError, `${error.name}: ${error.message}`);
              assert.equal(staging.url, url);
              assert.match(error.message, reason);
              assert.ok(error.message.includes(url), error.message);
              return true;
            });
          }
          assert.equal(existsSync(join(workDir, 'big.txt')), false, 'no partial download under the name');
          assert.deepEqual(partialFiles(workDir), [], 'no temporary file left');
          assert.equal(existsSync(join(workDir, 'never.txt')), false, 'the app never ran');
        });
      }
    });
  });
}

test('a failed transfer is tried again under the config\'s retries (separate-task and in-task)', { timeout: 60_000 }, async () => {
  for (const storage of [undefined, [new NoOpFileStaging(), new HTTPInTaskStaging()]]) {
    flaky = 0;
    await withStaging('threads', storage, async ({ workDir }) => {
      assert.equal(await copy(new File(`${base}/flaky/c.txt`), { outputs: [new File(join(workDir, 'c-copy.txt'))] }), 0);
      assert.equal(readFileSync(join(workDir, 'c-copy.txt'), 'utf8'), 'charlie\n');
      assert.equal(flaky, 2, 'failed once with 503, then succeeded');
    }, 1);
  }
});
