/**
 * rsync staging over ssh to another host: a network namespace with its own sshd, made by
 * scripts/ssh-host.sh (root only), reached with a test key; in and out on both executors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { bashApp, File, NoOpFileStaging, RSyncStaging, StagingError } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { EXECUTOR_KINDS, partialFiles, withStaging } from './staging-helpers.js';

const copy = bashApp((input: File, kw: { outputs: File[] }) => `cat ${input} > ${kw.outputs[0]}`);

const SCRIPT = fileURLToPath(new URL('../../scripts/ssh-host.sh', import.meta.url));
const tools = ['rsync', 'ssh', 'ssh-keygen', 'ip'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) && existsSync('/usr/sbin/sshd');
const missing = process.getuid?.() !== 0 ? 'needs root (a network namespace)' : !tools ? 'needs rsync, openssh-server, openssh-client and iproute2' : undefined;

let address = '';
let staging: RSyncStaging;
let remoteDir = '';

before(() => {
  if (missing !== undefined) return;
  const out = execFileSync(SCRIPT, ['up'], { encoding: 'utf8' });
  address = /ADDRESS=(\S+)/.exec(out)![1]!;
  const key = /KEY=(\S+)/.exec(out)![1]!;
  staging = new RSyncStaging({ sshOptions: ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'] });
  // The namespace shares this filesystem: "remote" files are the sshd host's files.
  remoteDir = tempDir('parsl-ts-rsync-remote-');
  mkdirSync(join(remoteDir, 'out'));
  writeFileSync(join(remoteDir, 'in.txt'), 'over ssh\n');
});

after(() => {
  if (missing === undefined) execFileSync(SCRIPT, ['down'], { stdio: 'ignore' });
});

for (const kind of EXECUTOR_KINDS) {
  describe(`rsync staging on ${kind}`, { skip: missing, timeout: 120_000 }, () => {
    test('host:path and rsync:// Files are staged in and out over ssh, inside the app\'s task', async () => {
      await withStaging(kind, [new NoOpFileStaging(), staging], async ({ dfk, workDir }) => {
        const future = copy(new File(`root@${address}:${remoteDir}/in.txt`), { outputs: [new File(`rsync://root@${address}${remoteDir}/out/${kind}.txt`)] });
        assert.equal(await future, 0);
        assert.equal(readFileSync(join(remoteDir, 'out', `${kind}.txt`), 'utf8'), 'over ssh\n');
        assert.equal(readFileSync(join(workDir, 'in.txt'), 'utf8'), 'over ssh\n');
        assert.equal((await future.outputs[0]!).filename, `${kind}.txt`);
        assert.equal(dfk.counts().submitted, 1);
      });
    });

    test('a missing remote file and an unreachable host: StagingError naming the URL, no partial file', async () => {
      await withStaging(kind, [new NoOpFileStaging(), staging], async ({ workDir }) => {
        for (const [url, reason] of [[`root@${address}:${remoteDir}/missing.txt`, /No such file|code 23/], ['root@127.0.0.1:/tmp/x.txt', /refused|code 255/i]] as const) {
          await assert.rejects(copy(new File(url), { outputs: [new File(join(workDir, 'never.txt'))] }), (error: Error) => {
            assert.ok(error instanceof StagingError, `${error.name}: ${error.message}`);
            assert.equal(error.url, url);
            assert.match(error.message, reason);
            return true;
          });
        }
        assert.deepEqual(partialFiles(workDir), []);
        assert.equal(existsSync(join(workDir, 'never.txt')), false);
      });
    });
  });
}
