import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from '../../src/index.js';
import { tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the package entry (index.js) exports every runtime name of src/index.ts', async () => {
  const entry = await import(new URL('../../index.js', import.meta.url).href) as Record<string, unknown>;
  const expected = Object.keys(api).sort();
  assert.deepEqual(Object.keys(entry).sort(), expected);
  for (const name of expected) assert.equal(entry[name], (api as Record<string, unknown>)[name], name);
});

test('another project installs parsl-ts by path and uses it from JavaScript and TypeScript, with types', () => {
  const dir = tempDir('parsl-ts-consumer-');
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    execFileSync('npm', ['install', root, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'pipe' });
    writeFileSync(join(dir, 'plain.mjs'), `import { load, app } from 'parsl-ts';
const add = app(function add(a, b) { return a + b; });
const dfk = await load();
console.log('plain', await add(1, add(2, 3)));
await dfk.cleanup();
`);
    const plain = spawnSync(process.execPath, ['plain.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /plain 6/);

    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'apps.ts'), `import { app } from 'parsl-ts';
import { basename } from 'node:path';
export const base = app((path: string): string => basename(path));
`);
    writeFileSync(join(dir, 'flow.ts'), `import { load, app, type AppFuture } from 'parsl-ts';
import { base } from './lib/apps.ts';
const twice = app((x: number): number => x * 2);
const dfk = await load();
const four: AppFuture<number> = twice(twice(1));
console.log('typed', await four, await base('/a/b.txt'));
await dfk.cleanup();
`);
    const cli = spawnSync(process.execPath, [join(dir, 'node_modules', 'parsl-ts', 'bin', 'parsl-ts.js'), 'run', 'flow.ts', '--no-progress'], { cwd: dir, encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /typed 4 b\.txt/);

    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        skipLibCheck: true, allowImportingTsExtensions: true, noUnusedLocals: true, noUnusedParameters: true,
        exactOptionalPropertyTypes: true, noPropertyAccessFromIndexSignature: true, noImplicitReturns: true,
      },
      include: ['flow.ts', 'lib'],
    }));
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: dir, encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    assert.ok(readFileSync(join(dir, 'package.json'), 'utf8').includes('parsl-ts'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
