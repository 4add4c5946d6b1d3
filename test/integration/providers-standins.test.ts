// PBS Pro, Torque, LSF, HTCondor and Grid Engine providers end to end against STAND-IN
// scheduler commands (test/fixtures/schedulers/: not the real tools) that run the submitted
// script in the background with the real scheduler's environment and print the real tools'
// output formats, failures included. The configs run are the examples in docs/providers.md.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  app, load, SchedulerCommandError, PBSProProvider, TorqueProvider, LSFProvider, CondorProvider,
  type Config,
} from '../../src/index.js';
import type { ClusterProvider } from '../../src/providers/cluster.js';
import { Logger } from '../../src/util/logger.js';
import { tempDir } from '../helpers.js';
import { processesMentioning, waitFor } from './slurm-helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/schedulers/', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/providers.md', import.meta.url));
const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const ORIGINAL_PATH = process.env.PATH;

/** The environment variables a scheduler sets, as the task sees them. */
export const schedulerEnv = app(function schedulerEnv(names: string[]) {
  return names.map((name) => process.env[name] ?? '');
});

/** The `<!-- example: name … -->` config of docs/providers.md, written as a module that imports from src/. */
function docsExample(name: string, dir: string): string {
  const text = readFileSync(DOCS, 'utf8');
  const match = new RegExp(`<!-- example: ${name}\\b[^>]*-->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(text);
  assert.ok(match, `docs/providers.md has an example for ${name}`);
  const file = join(dir, `${name}.config.ts`);
  writeFileSync(file, match[1]!.replace(/from 'parsl-ts'/g, `from ${JSON.stringify(INDEX)}`));
  return file;
}

/** Puts the flavor's stand-ins first on PATH with a fresh state dir. */
function useStandins(flavor: string, dir: string): string {
  const state = join(dir, 'scheduler-state');
  mkdirSync(state, { recursive: true });
  process.env.PATH = `${join(FIXTURES, flavor)}:${ORIGINAL_PATH}`;
  process.env.STANDIN_STATE = state;
  return state;
}

function jobsOf(state: string): { state: string; cancelled?: boolean }[] {
  const dir = join(state, 'jobs');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

const EXAMPLES: [string, string, string[], RegExp[]][] = [
  ['pbspro', 'pbspro', ['PBS_JOBID', 'PBS_NODEFILE', 'PBS_ENVIRONMENT'], [/^\d+\.pbs-server-with-a-rather-long-name\.cluster\.example\.org$/, /nodes\.\d+$/, /^PBS_BATCH$/]],
  ['torque', 'torque', ['PBS_JOBID', 'PBS_NODEFILE', 'PBS_O_WORKDIR'], [/^\d+\.torque-server\.example\.org$/, /nodes\.\d+$/, /./]],
  ['lsf', 'lsf', ['LSB_JOBID', 'LSB_HOSTS', 'LSB_MCPU_HOSTS'], [/^\d+$/, /^\S+ \S+$/, /^\S+ 2$/]],
  ['condor', 'condor', ['_CONDOR_SCRATCH_DIR', '_CONDOR_JOB_AD', 'BATCH_SYSTEM'], [/scratch\.\d+$/, /ad\.\d+$/, /^HTCondor$/]],
  ['gridengine', 'sge', ['JOB_ID', 'NSLOTS', 'PE_HOSTFILE'], [/^\d+$/, /^\d+$/, /nodes\.\d+$/]],
];

describe('cluster providers against stand-in schedulers: the docs examples run end to end', { timeout: 180_000 }, () => {
  after(() => { process.env.PATH = ORIGINAL_PATH; });
  for (const [example, flavor, names, patterns] of EXAMPLES) {
    it(`${example}: tasks see the scheduler's environment; cleanup leaves no job and no process`, async () => {
      const dir = tempDir(`standin-${flavor}-`);
      const state = useStandins(flavor, dir);
      const config = (await import(pathToFileURL(docsExample(example, dir)).href)).default as Config;
      const runDir = join(dir, 'runinfo');
      const dfk = await load({ ...config, runDir });
      try {
        const results = await Promise.all(Array.from({ length: 10 }, () => schedulerEnv(names)));
        for (const values of results) values.forEach((value, i) => assert.match(value, patterns[i]!, `${names[i]}=${value}`));
      } finally {
        await dfk.cleanup();
      }
      await waitFor(() => jobsOf(state).every((job) => job.state === 'done'), 15_000, 'every stand-in job to end');
      await waitFor(() => processesMentioning(runDir).length === 0, 15_000, 'no process left');
      rmSync(dir, { recursive: true, force: true });
    });
  }
});

describe('cluster providers read the schedulers\' failure outputs', { timeout: 120_000 }, () => {
  let dir: string;
  let state: string;
  before(() => { dir = tempDir('standin-failures-'); });
  after(() => {
    process.env.PATH = ORIGINAL_PATH;
    rmSync(dir, { recursive: true, force: true });
  });

  async function submitted<P extends ClusterProvider>(flavor: string, provider: P, command = 'sleep 20'): Promise<[P, string]> {
    state = useStandins(flavor, join(dir, flavor));
    provider.start({ runDir: join(dir, flavor, 'run'), logger: new Logger(undefined, 'test') });
    return [provider, await provider.submit(command, 1, `parsl.test.${flavor}`)];
  }
  const fail = (command: string, mode: 'error' | 'hang') => writeFileSync(join(state, 'fail.json'), JSON.stringify({ command, mode }));
  const heal = () => rmSync(join(state, 'fail.json'), { force: true });

  it('PBS Pro: long job ids through qstat -f -F json; a failing qstat names command, exit code and stderr; a hanging one hits cmdTimeout', async () => {
    const [pbs, jobId] = await submitted('pbspro', new PBSProProvider({ cmdTimeout: 2, schedulerOptions: '#PBS -l walltime=00:01:00' }));
    assert.ok(jobId.length > 40, jobId);
    await waitFor(async () => (await pbs.status([jobId]))[0]!.state === 'running', 10_000, 'the job to run');
    const [unknown] = await pbs.status(['999.pbs-server-with-a-rather-long-name.cluster.example.org']);
    assert.equal(unknown!.state, 'missing');
    fail('qstat', 'error');
    await assert.rejects(pbs.status([jobId]), (error: Error) => {
      assert.ok(error instanceof SchedulerCommandError);
      assert.match(error.message, /^`qstat -f -F json -x \S+` exited with code 1: Connection refused\nqstat: cannot connect to server/);
      return true;
    });
    fail('qstat', 'hang');
    await assert.rejects(pbs.status([jobId]), /`qstat -f -F json -x \S+` did not finish within 2 s \(cmdTimeout\); killed/);
    heal();
    // schedulerOptions come before the defaults: PBS honours the first walltime.
    const script = readFileSync(join(pbs.scriptDir!, readdirSync(pbs.scriptDir!).find((f) => f.endsWith('.submit'))!), 'utf8');
    assert.ok(script.indexOf('#PBS -l walltime=00:01:00') < script.indexOf('#PBS -l walltime=00:20:00'), script);
    assert.deepEqual(await pbs.cancel([jobId]), [true]);
    await waitFor(async () => (await pbs.status([jobId]))[0]!.state === 'cancelled', 10_000, 'qdel to end the job');
  });

  it('Torque: qstat -f keeps long ids; an unknown id is missing; a finished job is completed with its exit status', async () => {
    const [torque, jobId] = await submitted('torque', new TorqueProvider(), 'exit 0');
    await waitFor(async () => (await torque.status([jobId]))[0]!.state === 'completed', 10_000, 'the job to complete');
    const [done, unknown] = await torque.status([jobId, '4242.torque-server.example.org']);
    assert.equal(done!.schedulerState, 'C');
    assert.equal(unknown!.state, 'missing');
  });

  it('LSF: bjobs lines that wrap (two execution hosts) are read; a failing bjobs is an error with LSF\'s words', async () => {
    const [lsf, jobId] = await submitted('lsf', new LSFProvider({ cmdTimeout: 5 }));
    await waitFor(async () => (await lsf.status([jobId]))[0]!.state === 'running', 10_000, 'the job to run');
    fail('bjobs', 'error');
    await assert.rejects(lsf.status([jobId]), /`bjobs -a \d+` exited with code 255: LSF is down/);
    heal();
    assert.deepEqual(await lsf.cancel([jobId]), [true]);
    await waitFor(async () => (await lsf.status([jobId]))[0]!.state === 'failed', 10_000, 'bkill to end the job (EXIT)');
  });

  it('HTCondor: condor_q errors are reported; a job that left the queue is missing, not pending', async () => {
    const [condor, jobId] = await submitted('condor', new CondorProvider(), 'exit 0');
    fail('condor_q', 'error');
    await assert.rejects(condor.status([jobId]), /`condor_q \d+ -af:jr JobStatus HoldReason` exited with code 1: -- Failed to fetch ads from/);
    heal();
    await waitFor(async () => (await condor.status([jobId]))[0]!.state === 'missing', 10_000, 'the finished job to leave the queue');
  });

  it('a refused submit is an error with the scheduler\'s message (qsub, bsub)', async () => {
    const [pbs] = await submitted('pbspro', new PBSProProvider(), 'exit 0');
    fail('qsub', 'error');
    await assert.rejects(pbs.submit('true', 1, 'x'), /`qsub \S+` exited with code 170: qsub: Unknown queue/);
    heal();
    const [lsf] = await submitted('lsf', new LSFProvider(), 'exit 0');
    fail('bsub', 'error');
    await assert.rejects(lsf.submit('true', 1, 'x'), /`bsub \S+` exited with code 255: nosuchq: No such queue/);
    heal();
  });
});
