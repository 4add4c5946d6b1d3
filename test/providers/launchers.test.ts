import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AprunLauncher, GnuParallelLauncher, JsrunLauncher, MpiExecLauncher, MpiRunLauncher, SimpleLauncher,
  SingleNodeLauncher, SrunLauncher, WrappedLauncher,
} from '../../src/providers/launchers/index.js';

function runBash(script: string, cwd?: string) {
  return spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd });
}

describe('SimpleLauncher and WrappedLauncher', () => {
  it('SimpleLauncher returns the command unchanged', () => {
    assert.equal(new SimpleLauncher().wrap('parsl-ts worker-pool --block 0', 4, 2), 'parsl-ts worker-pool --block 0');
  });

  it('WrappedLauncher puts its prefix before the command', () => {
    assert.equal(new WrappedLauncher('apptainer exec img.sif').wrap('worker-pool', 1, 1), 'apptainer exec img.sif worker-pool');
    assert.equal(new WrappedLauncher('').wrap('worker-pool', 1, 1), 'worker-pool');
  });
});

describe('SingleNodeLauncher', () => {
  it('starts tasksPerNode × nodesPerBlock copies, each with its number and CORES set', () => {
    const script = new SingleNodeLauncher({ debug: false }).wrap('echo "copy $1 cores=$CORES"', 2, 3);
    const run = runBash(script);
    assert.equal(run.status, 0);
    const lines = run.stdout.trim().split('\n').sort();
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['1', '2', '3', '4', '5', '6']);
    assert.ok(lines.every((l) => /cores=\d+$/.test(l)), run.stdout);
  });

  it('keeps a multi-line command intact', () => {
    const run = runBash(new SingleNodeLauncher({ debug: false }).wrap('A=hello\necho "$A $1"', 1, 1));
    assert.equal(run.stdout, 'hello 1\n');
  });

  it('exits with the failing code only when every copy failed, by default', () => {
    const allFail = runBash(new SingleNodeLauncher({ debug: false }).wrap('exit 7', 2, 1));
    assert.equal(allFail.status, 7);
    const oneFails = runBash(new SingleNodeLauncher({ debug: false }).wrap('[ "$1" = 1 ] && exit 3; exit 0', 2, 1));
    assert.equal(oneFails.status, 0);
  });

  it('with failOnAny, exits non-zero when any copy fails', () => {
    const run = runBash(new SingleNodeLauncher({ debug: false, failOnAny: true }).wrap('[ "$1" = 1 ] && exit 3; exit 0', 2, 1));
    assert.equal(run.status, 3);
  });

  it('prints what it does when debug is on (the default)', () => {
    const run = runBash(new SingleNodeLauncher().wrap('true', 1, 1));
    assert.match(run.stdout, /Found cores : \d+/);
    assert.match(run.stdout, /Launching worker: 1/);
    assert.match(run.stdout, /All workers done/);
  });

  it('refuses counts below one', () => {
    assert.throws(() => new SingleNodeLauncher().wrap('true', 0, 1), /tasksPerNode must be a positive integer/);
  });
});

describe('scheduler launchers produce the command line of their tool', () => {
  it('SrunLauncher runs all copies with one srun, overrides included', () => {
    const script = new SrunLauncher({ overrides: '--mpi=none' }).wrap('worker-pool', 2, 3);
    assert.match(script, /^srun --ntasks 6 -l --mpi=none bash \$CMD_DIR\/cmd_\$SLURM_JOB_NAME\.sh$/m);
    assert.match(script, /^worker-pool$/m);
    assert.match(script, /export CORES=\$SLURM_CPUS_ON_NODE/);
  });

  it('MpiExecLauncher binds to none and uses the block host file', () => {
    const script = new MpiExecLauncher({ overrides: '-ppn 2' }).wrap('worker-pool', 2, 2);
    assert.match(script, /^mpiexec --bind-to none -ppn 2 -n \$WORKERCOUNT --hostfile \$HOSTFILE \/usr\/bin\/sh cmd_\$JOBNAME\.sh$/m);
    assert.match(script, /^WORKERCOUNT=4$/m);
    assert.equal(new MpiExecLauncher({ bindCmd: '--cpu-bind' }).wrap('w', 1, 1).includes('mpiexec --cpu-bind none -n'), true);
  });

  it('MpiRunLauncher runs -np copies through bash', () => {
    const script = new MpiRunLauncher().wrap('worker-pool', 3, 1);
    assert.match(script, /^mpirun -np \$WORKERCOUNT \/bin\/bash cmd_\$JOBNAME\.sh$/m);
    assert.match(script, /^WORKERCOUNT=3$/m);
  });

  it('AprunLauncher and JsrunLauncher give total and per-node counts', () => {
    assert.match(new AprunLauncher().wrap('w', 4, 2), /^aprun -n 8 -N 4 \/bin\/bash cmd_\$JOBNAME\.sh &$/m);
    assert.match(new JsrunLauncher({ overrides: '-g 1' }).wrap('w', 4, 2), /^jsrun -n 8 -r 4 -g 1 \/bin\/bash cmd_\$JOBNAME\.sh &$/m);
  });

  it('GnuParallelLauncher queues one line per copy and runs tasksPerNode per host', () => {
    const script = new GnuParallelLauncher().wrap('w', 2, 3);
    assert.match(script, /^WORKERCOUNT=6$/m);
    assert.match(script, /parallel --env _ .*--jobs 2 < "\$PFILE"$/m);
  });

  it('the command is written verbatim: variables expand where it runs, not where it is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parsl-ts-launcher-'));
    try {
      // Run only the part before the scheduler tool: that writes cmd_$JOBNAME.sh.
      const script = new MpiRunLauncher({ debug: false }).wrap('echo "$SOMEVAR"', 1, 1);
      const upToTool = script.slice(0, script.indexOf('\nmpirun'));
      const run = runBash(`export JOBNAME=job1\n${upToTool}`, dir);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(readFileSync(join(dir, 'cmd_job1.sh'), 'utf8'), 'echo "$SOMEVAR"\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
