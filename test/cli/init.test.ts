/** `parsl-ts init` writes a starter project that runs at once; `run --typecheck` checks it first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'parsl-ts.js');

/** A project dir whose node_modules has this parsl-ts (and, if asked, TypeScript), as `npm install` would. */
function project(withTypeScript: boolean): string {
  const dir = tempDir('parsl-ts-init-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'parsl-ts'));
  if (withTypeScript) symlinkSync(join(root, 'node_modules', 'typescript'), join(dir, 'node_modules', 'typescript'));
  return dir;
}

const SCHEDULER_COMMANDS = ['sbatch', 'sinfo', 'qsub', 'qstat', 'pbsnodes', 'bsub', 'bqueues', 'qconf', 'condor_submit', 'condor_q'];

/**
 * PATH without any batch scheduler's commands (this machine may have some): directories
 * holding one are replaced by a copy made of links to everything else in them.
 */
function pathWithoutSchedulers(): string {
  const shadow = tempDir('parsl-ts-path-');
  return (process.env['PATH'] ?? '').split(':').filter(Boolean).map((dir, i) => {
    let entries: string[];
    try { entries = readdirSync(dir); } catch { return dir; }
    if (!entries.some((name) => SCHEDULER_COMMANDS.includes(name))) return dir;
    const copy = join(shadow, String(i));
    mkdirSync(copy);
    for (const name of entries) if (!SCHEDULER_COMMANDS.includes(name)) symlinkSync(join(dir, name), join(copy, name));
    return copy;
  }).join(':');
}
const noSchedulers = { ...process.env, PATH: pathWithoutSchedulers() };

/** Type errors in one file, with `parsl-ts` resolved to this checkout's TypeScript sources. */
function typeErrorsIn(file: string): string[] {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, skipLibCheck: true, noEmit: true, customConditions: ['development'], allowImportingTsExtensions: true,
  });
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = noSchedulers) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env });
}

test('init writes a LocalProvider project that `run --typecheck` checks and runs at once', { timeout: 180_000 }, () => {
  const dir = project(true);
  try {
    const init = cli(['init'], dir);
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /wrote\s+parsl\.config\.ts \(LocalProvider: no batch scheduler on PATH\)/);
    assert.match(readFileSync(join(dir, 'parsl.config.ts'), 'utf8'), /new LocalProvider\(/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).compilerOptions.module, 'NodeNext');
    assert.equal(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type, 'module');
    const run = cli(['run', '--typecheck', '--no-progress', 'flow.ts'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /sum of squares: 55/);
    assert.match(readFileSync(join(dir, 'where.txt'), 'utf8'), /^ran on /);
    const again = cli(['init'], dir);
    assert.match(again.stdout, /kept\s+flow\.ts \(exists; --force overwrites it\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run --typecheck stops on a type error before running; without TypeScript in the project it says so', { timeout: 120_000 }, () => {
  const dir = project(true);
  try {
    writeFileSync(join(dir, 'flow.ts'), `import { app } from 'parsl-ts';\nconst square = app((x: number) => x * x);\nsquare('three');\nconsole.log('ran');\n`);
    const bad = cli(['run', '--typecheck', 'flow.ts'], dir);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /flow\.ts\(3,8\): error TS2345/);
    assert.match(bad.stderr, /1 type error .*; the workflow was not run/);
    assert.doesNotMatch(bad.stdout, /ran/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bare = project(false);
  try {
    writeFileSync(join(bare, 'flow.ts'), 'console.log("ran");\n');
    const missing = cli(['run', '--typecheck', 'flow.ts'], bare);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /TypeScript is not installed in the project of .*flow\.ts .*npm install --save-dev typescript/);
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});

test('with Slurm commands on PATH, init writes a SlurmProvider skeleton with the partitions sinfo lists', { timeout: 120_000 }, () => {
  const dir = project(true);
  const fakeBin = join(dir, 'fake-bin');
  mkdirSync(fakeBin);
  const fake = (name: string, body: string) => { writeFileSync(join(fakeBin, name), `#!/bin/sh\n${body}\n`); chmodSync(join(fakeBin, name), 0o755); };
  fake('sbatch', 'echo "Submitted batch job 1"');
  fake('sinfo', 'if [ "$1 $2 $3" = "-h -o %P" ]; then printf "compute*\\ngpu\\ndebug\\n"; fi');
  try {
    const init = cli(['init'], dir, { ...process.env, PATH: `${fakeBin}:${noSchedulers.PATH}` });
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /parsl\.config\.ts \(SlurmProvider: Slurm found on PATH\)/);
    const config = readFileSync(join(dir, 'parsl.config.ts'), 'utf8');
    assert.match(config, /new SlurmProvider\(\{/);
    assert.match(config, /partition: 'compute', \/\/ also on this cluster: gpu, debug/);
    assert.match(config, /launcher: new SrunLauncher\(\)/);
    // The skeleton type-checks against the providers of this checkout's sources.
    assert.deepEqual(typeErrorsIn(join(dir, 'parsl.config.ts')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
