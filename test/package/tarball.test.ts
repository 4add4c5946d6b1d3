/**
 * The package as a registry install sees it: `npm pack`, installed into another project
 * with no access to this checkout's sources. JavaScript and TypeScript consumers, their
 * type check under strict settings with @types/node 20 and the newest, and no process left
 * after cleanup().
 */
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let consumer = '';
let packedFiles: string[] = [];

/** The environment of a user's shell: none of this checkout's development settings. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  return env;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: userEnv(), encoding: 'utf8', stdio: 'pipe' });
}

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, args, { cwd: consumer, env: userEnv(), encoding: 'utf8' });
}

before(() => {
  const packDir = tempDir('parsl-ts-pack-');
  // `npm pack` runs `prepare`, so the tarball holds a fresh build of this checkout.
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', packDir], root)) as { filename: string; files: { path: string }[] }[];
  packedFiles = packed[0]!.files.map((f) => f.path);
  consumer = tempDir('parsl-ts-consumer-');
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
  npm(['install', join(packDir, packed[0]!.filename), '@types/node@20'], consumer);
});

test('the tarball ships compiled JavaScript, declarations and their maps, and no sources or tests', () => {
  for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/index.d.ts.map', 'bin/parsl-ts.js', 'package.json', 'README.md']) {
    assert.ok(packedFiles.includes(path), `${path} is in the tarball`);
  }
  const unwanted = packedFiles.filter((path) => /^(src|test|bench|examples|scripts|\.ci)\//.test(path) || path.includes('source-entry'));
  assert.deepEqual(unwanted, []);
  assert.ok(!existsSync(join(consumer, 'node_modules', 'parsl-ts', 'src')));
});

test('a JavaScript program uses the package with no TypeScript loader registered', () => {
  writeFileSync(join(consumer, 'plain.mjs'), `import { load, app } from 'parsl-ts';
import { writeFileSync } from 'node:fs';
const add = app(function add(a, b) { return a + b; });
const dfk = await load();
console.log('plain', await add(1, add(2, 3)));
await dfk.cleanup();
writeFileSync('probe.ts', 'export const x: number = 1;\\n');
try { await import('./probe.ts'); console.log('loader: registered'); }
catch (error) { console.log('loader:', error.code); }
`);
  const plain = node(['plain.mjs']);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /plain 6/);
  assert.match(plain.stdout, /loader: ERR_UNKNOWN_FILE_EXTENSION/);
});

test('a monitored TypeScript workflow on threads and HTEX leaves no child process after cleanup(), 20 runs in a row', () => {
  writeFileSync(join(consumer, 'apps.ts'), `import { app } from 'parsl-ts';
export const double = app((x: number): number => x * 2);
`);
  writeFileSync(join(consumer, 'flow.ts'), `import { load, app, HighThroughputExecutor, LocalProvider, ThreadPoolExecutor, type AppFuture } from 'parsl-ts';
import { readdirSync, readFileSync } from 'node:fs';
import { double } from './apps.ts';
const inc = app((x: number): number => x + 1, { executors: ['htex'] });
const dfk = await load({
  executors: [
    new ThreadPoolExecutor({ label: 'threads', maxThreads: 2 }),
    new HighThroughputExecutor({ label: 'htex', maxWorkersPerNode: 1, provider: new LocalProvider({ initBlocks: 1 }) }),
  ],
  monitoring: {},
});
const result: AppFuture<number> = inc(double(20));
console.log('result', await result);
await dfk.cleanup();
const children = readdirSync('/proc').filter((pid) => /^\\d+$/.test(pid)).filter((pid) => {
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(process.pid);
  } catch { return false; }
}).map((pid) => readFileSync('/proc/' + pid + '/cmdline', 'utf8').replace(/\\0/g, ' ').trim());
console.log('children', JSON.stringify(children));
`);
  const bin = join(consumer, 'node_modules', 'parsl-ts', 'bin', 'parsl-ts.js');
  for (let run = 1; run <= 20; run++) {
    const result = node([bin, 'run', 'flow.ts', '--no-progress']);
    assert.equal(result.status, 0, `run ${run}: ${result.stderr}`);
    assert.match(result.stdout, /result 41/, `run ${run}`);
    assert.match(result.stdout, /children \[\]/, `run ${run}: ${result.stdout}`);
  }
  assert.ok(readdirSync(join(consumer, 'runinfo')).length >= 20);
  // The compiled monitoring writer recorded every run, each completed.
  const db = new Database(join(consumer, 'runinfo', 'monitoring.db'), { readonly: true });
  try {
    const runs = db.prepare('SELECT count(*) AS n, count(time_completed) AS completed FROM workflow').get() as { n: number; completed: number };
    assert.deepEqual(runs, { n: 20, completed: 20 });
    assert.equal((db.prepare("SELECT count(*) AS n FROM task WHERE task_status_name = 'exec_done'").get() as { n: number }).n, 40);
  } finally {
    db.close();
  }
});

test('the installed `parsl-ts dashboard` serves its pages with their scripts and the runs recorded above', { timeout: 60_000 }, async () => {
  // Default database: ./runinfo/monitoring.db of the working directory.
  const bin = join(consumer, 'node_modules', 'parsl-ts', 'bin', 'parsl-ts.js');
  const child = spawn(process.execPath, [bin, 'dashboard', '--port', '0'], { cwd: consumer, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /at (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the dashboard exited (${code}): ${output}`)));
    });
    const runs = await (await fetch(`${url}/api/workflows`)).json() as { runId: string }[];
    assert.equal(runs.length, 20);
    for (const page of ['/', `/workflow/${runs[0]!.runId}`]) {
      const response = await fetch(url + page);
      assert.equal(response.status, 200, page);
      const html = await response.text();
      const scripts = [...html.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(scripts.length > 0, `${page} loads scripts`);
      for (const script of scripts) {
        const loaded = await fetch(new URL(script, url + page));
        assert.equal(loaded.status, 200, `${script} of ${page}`);
        assert.match(loaded.headers.get('content-type') ?? '', /javascript/);
      }
    }
    const summary = await (await fetch(`${url}/api/workflow/${runs[0]!.runId}/summary`)).json() as { tasks: number };
    assert.equal(summary.tasks, 2);
  } finally {
    child.kill('SIGTERM');
  }
});

for (const typesNode of ['20', 'latest']) {
  test(`the consumer type-checks under strict settings with @types/node ${typesNode} and skipLibCheck off`, () => {
    if (typesNode !== '20') npm(['install', '--no-save', `@types/node@${typesNode}`], consumer);
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        allowImportingTsExtensions: true, noUnusedLocals: true, noUnusedParameters: true,
        exactOptionalPropertyTypes: true, noPropertyAccessFromIndexSignature: true, noImplicitReturns: true,
        noUncheckedIndexedAccess: true, types: ['node'],
      },
      include: ['flow.ts', 'apps.ts'],
    }));
    const check = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: consumer, env: userEnv(), encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });
}
