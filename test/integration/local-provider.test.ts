// LocalProvider with real processes: blocks start, report their state, and end without orphans.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../src/util/logger.js';
import { LocalProvider, processGroupAlive, type LocalProviderOptions } from '../../src/providers/local.js';
import { SimpleLauncher } from '../../src/providers/launchers/simple.js';
import type { JobState } from '../../src/providers/provider.js';

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe('LocalProvider (real processes)', () => {
  let dir: string;
  const providers: LocalProvider[] = [];

  before(() => { dir = mkdtempSync(join(tmpdir(), 'parsl-ts-local-')); });
  after(async () => {
    await Promise.all(providers.map((p) => p.shutdown()));
    rmSync(dir, { recursive: true, force: true });
  });

  function provider(options: LocalProviderOptions = {}): LocalProvider {
    const p = new LocalProvider({ launcher: new SimpleLauncher(), ...options });
    p.start({ runDir: dir, logger: new Logger(undefined) });
    providers.push(p);
    return p;
  }

  const stateOf = async (p: LocalProvider, jobId: string, wanted: JobState) => {
    const [status] = await p.status([jobId]);
    return status!.state === wanted ? status : undefined;
  };

  it('runs workerInit then the command, with a submit script and output files in the run dir', async () => {
    const p = provider({ workerInit: 'export GREETING=hello' });
    const jobId = await p.submit('echo "$GREETING from $JOBNAME"', 1, 'parsl.test.block-0');
    const status = await waitFor(() => stateOf(p, jobId, 'completed'), 'the block to complete');
    assert.equal(status.exitCode, 0);
    assert.match(readFileSync(status.stdoutPath!, 'utf8'), /^hello from parsl\.test\.block-0\./);
    assert.equal(p.scriptDir, join(dir, 'submit_scripts'));
    const script = readFileSync(status.stdoutPath!.replace(/\.stdout$/, '.sh'), 'utf8');
    assert.ok(script.indexOf('export GREETING=hello') < script.indexOf('echo "$GREETING'), script);
  });

  it('reports a failing block as failed with its exit code and stderr file', async () => {
    const p = provider();
    const jobId = await p.submit('echo "cannot find worker-pool" >&2; exit 3', 1, 'fails');
    const status = await waitFor(() => stateOf(p, jobId, 'failed'), 'the block to fail');
    assert.equal(status.exitCode, 3);
    assert.match(status.message!, /code 3/);
    assert.equal(readFileSync(status.stderrPath!, 'utf8'), 'cannot find worker-pool\n');
  });

  it('reports a live block as running and an unknown id as missing', async () => {
    const p = provider();
    const jobId = await p.submit('sleep 300', 1, 'sleeper');
    const [running, missing] = await p.status([jobId, '999999999']);
    assert.equal(running!.state, 'running');
    assert.equal(missing!.state, 'missing');
    assert.deepEqual(await p.cancel([jobId, '999999999']), [true, false]);
  });

  it('cancel ends the whole process group, launcher copies included', async () => {
    const p = provider({ launcher: undefined }); // the default SingleNodeLauncher
    const pool = new LocalProvider({ nodesPerBlock: 1 });
    assert.equal(pool.launcher.name, 'SingleNodeLauncher');
    const jobId = await p.submit(pool.launcher.wrap('sleep 300 & sleep 300; wait', 3, 1), 3, 'group');
    const pgid = Number(jobId);
    const stdoutPath = (await p.status([jobId]))[0]!.stdoutPath!;
    await waitFor(() => (readFileSync(stdoutPath, 'utf8').includes('Launching worker: 3') ? true : undefined), 'three copies to start');
    assert.equal(processGroupAlive(pgid), true);
    assert.deepEqual(await p.cancel([jobId]), [true]);
    assert.equal(processGroupAlive(pgid), false);
    const [status] = await p.status([jobId]);
    assert.equal(status!.state, 'cancelled');
  });

  it('cancel kills a block that ignores SIGTERM after the grace period', async () => {
    const p = provider({ cancelGrace: 0.3 });
    const jobId = await p.submit("trap '' TERM; sleep 300", 1, 'stubborn');
    await waitFor(() => stateOf(p, jobId, 'running'), 'the block to run');
    await p.cancel([jobId]);
    assert.equal(processGroupAlive(Number(jobId)), false);
  });

  it('ends a block that reaches the walltime the user set and reports it timed out, not failed', async () => {
    const p = provider({ walltime: '00:00:01' });
    const jobId = await p.submit('sleep 300', 1, 'overtime');
    const status = await waitFor(() => stateOf(p, jobId, 'timeout'), 'the walltime to end the block');
    assert.match(status.message!, /walltime 00:00:01 reached/);
    assert.equal(processGroupAlive(Number(jobId)), false);
  });

  it('ends nothing by walltime when none is set', async () => {
    const p = provider();
    assert.equal(p.walltime, undefined);
    const jobId = await p.submit('sleep 2; exit 0', 1, 'no-limit');
    const status = await waitFor(() => stateOf(p, jobId, 'completed'), 'the block to end on its own');
    assert.equal(status.exitCode, 0);
  });

  it('shutdown ends every block still running', async () => {
    const p = provider({ maxBlocks: 2, initBlocks: 0 });
    const ids = [await p.submit('sleep 300', 1, 'a'), await p.submit('sleep 300', 1, 'b')];
    await p.shutdown();
    assert.ok(ids.every((id) => !processGroupAlive(Number(id))));
    assert.ok(existsSync(join(dir, 'submit_scripts')));
  });
});

