import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.js';
import { VERSION } from '../../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'parsl-ts.js');
const indexUrl = new URL('../../src/index.ts', import.meta.url).href;

function cli(args: string[], cwd = root) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

test('parsl-ts version and --help on every command', () => {
  const version = cli(['version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, new RegExp(`parsl-ts ${VERSION.replace(/\./g, '\\.')}`));
  const help = cli(['--help']);
  assert.equal(help.status, 0);
  const commands = [...help.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  assert.ok(commands.includes('run') && commands.includes('version'), help.stdout);
  for (const command of commands) {
    const sub = cli([command, '--help']);
    assert.equal(sub.status, 0, `${command} --help: ${sub.stderr}`);
    assert.match(sub.stdout, new RegExp(`Usage: parsl-ts ${command}`));
  }
});

test('parsl-ts run runs a TypeScript workflow with no build step; plain progress lines off a terminal', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'flow.ts'), `import { app, load } from '${indexUrl}';
const square = app((x: number): number => x * x);
await load({ executors: [new (await import('${indexUrl}')).ThreadPoolExecutor({ maxThreads: 2 })] });
const squares = await Promise.all([1, 2, 3].map((x) => square(x)));
console.log('squares', squares.join(','), process.argv.slice(2).join(' '));
`);
    const result = cli(['run', 'flow.ts', '--', 'a', 'b'], dir);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /squares 1,4,9 a b/);
    assert.match(result.stderr, /parsl-ts: 3\/3 tasks · 3 done · 0 failed/);
    assert.doesNotMatch(result.stderr, /\r/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parsl-ts run --config gives load() its config; bad paths and failing workflows exit non-zero', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'my.config.ts'), `import { defineConfig, ThreadPoolExecutor } from '${indexUrl}';
export default defineConfig({ executors: [new ThreadPoolExecutor({ label: 'from-cli', maxThreads: 1 })] });
`);
    writeFileSync(join(dir, 'flow.ts'), `import { load } from '${indexUrl}';
const dfk = await load();
console.log('labels', [...dfk.executors.keys()].join(','));
`);
    const result = cli(['run', 'flow.ts', '--config', 'my.config.ts', '--no-progress'], dir);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /labels from-cli/);
    assert.equal(result.stderr, '');

    const missing = cli(['run', 'nope.ts'], dir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.ts does not exist/);

    writeFileSync(join(dir, 'broken.ts'), `throw new Error('workflow exploded');\n`);
    const broken = cli(['run', 'broken.ts', '--no-progress'], dir);
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /workflow exploded/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

