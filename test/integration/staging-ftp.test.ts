/**
 * FTP staging against a real vsftpd started here on a loopback port, with its own config in
 * a temporary directory and a test user made for the run (removed afterwards).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { descendantPids } from '../../src/util/processes.js';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bashApp, File, FTPInTaskStaging, FTPSeparateTaskStaging, NoOpFileStaging, StagingError } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { EXECUTOR_KINDS, partialFiles, withStaging } from './staging-helpers.js';

const copy = bashApp((input: File, kw: { outputs: File[] }) => `cat ${input} > ${kw.outputs[0]}`);

const VSFTPD = '/usr/sbin/vsftpd';
const missing = process.getuid?.() !== 0 ? 'needs root (a test user and vsftpd)' : !existsSync(VSFTPD) ? 'vsftpd is not installed (apt-get install vsftpd)' : undefined;
const USER = `ptsftp${process.pid}`;
const PASSWORD = 'staging-test-pw';
const BIG = 'y'.repeat(300_000);

let vsftpd: ChildProcess | undefined;
let root = '';
let url = '';
let userMade = false;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Ends the FTP sessions vsftpd forked, with their transfer processes: a server dropping mid-transfer. */
function killSessions(): number {
  const pids = vsftpd?.pid === undefined ? [] : descendantPids(vsftpd.pid);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids.length;
}

before(async () => {
  if (missing !== undefined) return;
  const dir = tempDir('parsl-ts-ftp-');
  root = join(dir, 'root');
  mkdirSync(join(root, 'pub'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(root, 'pub', 'a.txt'), 'alpha\n');
  writeFileSync(join(root, 'pub', 'big.txt'), BIG);
  execFileSync('useradd', ['-M', '-d', root, '-s', '/bin/bash', USER]);
  userMade = true;
  execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
  execFileSync('chown', ['-R', `${USER}:${USER}`, root]);
  chmodSync(dir, 0o755);
  const port = await freePort();
  const passive = await freePort();
  writeFileSync(join(dir, 'vsftpd.conf'), [
    'listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1', `listen_port=${port}`, 'background=NO',
    'anonymous_enable=NO', 'local_enable=YES', 'write_enable=YES', 'local_umask=022', 'check_shell=NO',
    'pasv_enable=YES', 'pasv_address=127.0.0.1', `pasv_min_port=${passive}`, `pasv_max_port=${passive + 20}`,
    'port_enable=NO', 'chroot_local_user=YES', 'allow_writeable_chroot=YES', `secure_chroot_dir=${join(dir, 'empty')}`, 'pam_service_name=vsftpd', 'seccomp_sandbox=NO',
    // Slow enough that a transfer can be cut in the middle.
    'local_max_rate=100000', 'xferlog_enable=NO', `vsftpd_log_file=${join(dir, 'vsftpd.log')}`, '',
  ].join('\n'));
  vsftpd = spawn(VSFTPD, [join(dir, 'vsftpd.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  url = `ftp://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  // Ready once it accepts a connection.
  for (let tries = 0; ; tries++) {
    const ready = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1', () => { probe.destroy(); resolve(true); });
      probe.on('error', () => resolve(false));
    });
    if (ready) break;
    if (tries > 100 || vsftpd.exitCode !== null) throw new Error('vsftpd did not start');
    await sleep(50);
  }
});

after(() => {
  if (vsftpd?.pid !== undefined && vsftpd.exitCode === null) {
    killSessions();
    vsftpd.kill('SIGKILL');
  }
  if (userMade) execFileSync('userdel', [USER]);
});

for (const kind of EXECUTOR_KINDS) {
  describe(`FTP staging on ${kind}`, { skip: missing, timeout: 120_000 }, () => {
    test('separate-task and in-task: stage in, stage out (uploaded under a temporary name, then renamed)', async () => {
      for (const [mode, storage] of [['separate', undefined], ['in-task', [new NoOpFileStaging(), new FTPInTaskStaging()]]] as const) {
        await withStaging(kind, storage ? [...storage] : undefined, async ({ dfk, workDir }) => {
          const future = copy(new File(`${url}/pub/a.txt`), { outputs: [new File(`${url}/out/${kind}-${mode}.txt`)] });
          assert.equal(await future, 0);
          assert.equal(readFileSync(join(root, 'out', `${kind}-${mode}.txt`), 'utf8'), 'alpha\n');
          assert.equal(readFileSync(join(workDir, 'a.txt'), 'utf8'), 'alpha\n');
          assert.equal(dfk.counts().submitted, mode === 'separate' ? 3 : 1);
          assert.deepEqual(readdirSync(join(root, 'out')).filter((name) => name.includes('parsl-partial')), []);
        });
      }
    });

    test('credentials from the provider\'s options when the URL has none', async () => {
      const bare = url.replace(`${USER}:${PASSWORD}@`, '');
      await withStaging(kind, [new NoOpFileStaging(), new FTPSeparateTaskStaging({ user: USER, password: PASSWORD })], async ({ workDir }) => {
        assert.equal(await copy(new File(`${bare}/pub/a.txt`), { outputs: [new File(join(workDir, 'copied.txt'))] }), 0);
        assert.equal(readFileSync(join(workDir, 'copied.txt'), 'utf8'), 'alpha\n');
      });
    });

    test('a wrong password, a missing file and a server that drops mid-transfer: StagingError, no partial file', async () => {
      await withStaging(kind, [new NoOpFileStaging(), new FTPInTaskStaging()], async ({ workDir }) => {
        const wrong = url.replace(PASSWORD, 'not-the-password');
        await assert.rejects(copy(new File(`${wrong}/pub/a.txt`), { outputs: [new File(join(workDir, 'never.txt'))] }), (error: Error) => {
          assert.ok(error instanceof StagingError, `${error.name}: ${error.message}`);
          assert.match(error.message, /530|login/i);
          assert.ok(!error.message.includes('not-the-password'), 'the password is not shown');
          assert.ok(error.message.includes(`ftp://${USER}:***@`), error.message);
          return true;
        });
        await assert.rejects(copy(new File(`${url}/pub/missing.txt`), { outputs: [new File(join(workDir, 'never.txt'))] }), /missing\.txt.*550/);
        const cut = copy(new File(`${url}/pub/big.txt`), { outputs: [new File(join(workDir, 'never.txt'))] });
        // 300 kB at 100 kB/s: end the session while it sends.
        await sleep(1000);
        assert.ok(killSessions() > 0, 'a session was running');
        await assert.rejects(cut, (error: Error) => {
          assert.ok(error instanceof StagingError, `${error.name}: ${error.message}`);
          assert.match(error.message, /big\.txt/);
          return true;
        });
        assert.equal(existsSync(join(workDir, 'big.txt')), false);
        assert.deepEqual(partialFiles(workDir), []);
        assert.equal(existsSync(join(workDir, 'never.txt')), false);
      });
    });
  });
}
