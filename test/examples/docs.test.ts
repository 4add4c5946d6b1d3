/**
 * The docs agree with the code: every TypeScript block in README.md and docs/*.md that is a
 * complete program runs, every config module loads, and every error message the docs quote
 * is the real one. Blocks that are snippets say so (```ts fragment).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, ThreadPoolExecutor, HighThroughputExecutor, LocalProvider, ConfigurationError } from '../../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'parsl-ts.js');
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Block { doc: string; line: number; info: string; code: string }

function blocksOf(doc: string): Block[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
    blocks.push({ doc, line: i + 1, info: `${open[2]}${open[3]}`.trim(), code: lines.slice(i + 1, end).map((l) => l.slice(indent)).join('\n') });
    i = end;
  }
  return blocks;
}

const typescriptBlocks = docs.flatMap(blocksOf).filter((b) => /^(ts|js|typescript)\b/.test(b.info));
// The README tutorial is run (and its output checked) by examples.test.ts.
const tutorial = (b: Block) => b.doc === 'README.md' && b.code.includes("await report(total, { stdout: 'report.txt' })");

test('every TypeScript block in README and docs is a complete program (and runs) or is marked `ts fragment`', { timeout: 600_000 }, () => {
  const runnable = typescriptBlocks.filter((b) => !/\bfragment\b/.test(b.info) && !tutorial(b));
  assert.ok(runnable.length >= 5, `only ${runnable.length} runnable blocks found`);
  // Inside the repository 'parsl-ts' resolves to this package (self-reference).
  const dir = mkdtempSync(join(root, '.tmp-docs-'));
  const failures: string[] = [];
  try {
    for (const [i, block] of runnable.entries()) {
      const where = `${block.doc}:${block.line}`;
      const work = join(dir, String(i));
      const isConfig = /export default defineConfig\(/.test(block.code);
      const file = isConfig ? 'parsl.config.ts' : 'block.ts';
      spawnSync('mkdir', ['-p', work]);
      writeFileSync(join(work, file), block.code);
      // A config module is checked by loading it as `load()` would, without starting executors.
      if (isConfig) writeFileSync(join(work, 'block.ts'), "const { default: config } = await import('./parsl.config.ts');\nconsole.log('executors', config.executors.length);\n");
      const result = spawnSync(process.execPath, [bin, 'run', 'block.ts', '--no-progress'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
      if (result.status !== 0) failures.push(`${where} exited ${result.status}: ${result.stderr.slice(0, 600)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(failures, []);
});

function docText(doc: string): string {
  return readFileSync(join(root, doc), 'utf8').replace(/\s*\n\s*(\/\/\s*)?/g, ' ');
}

/** Asserts the doc quotes `quoted` and that it is part of the real error's message. */
function quotes(doc: string, quoted: string, real: Error): void {
  assert.ok(docText(doc).includes(quoted), `${doc} does not quote: ${quoted}`);
  assert.ok(real.message.replace(/\s+/g, ' ').includes(quoted), `${doc} quotes "${quoted}" but the real message is "${real.message}"`);
}

function thrown(fn: () => unknown): Error {
  try { fn(); } catch (error) { return error as Error; }
  throw new Error('nothing thrown');
}

test('error messages quoted in the docs are the real ones', () => {
  const executors = [new ThreadPoolExecutor({ label: 'threads' })];
  const configError = (config: object) => {
    const error = thrown(() => defineConfig({ executors, ...config }));
    assert.ok(error instanceof ConfigurationError);
    return error;
  };
  quotes('docs/configuration.md', "config key 'retries' must be a non-negative integer, got \"3\"", configError({ retries: '3' }));
  quotes('docs/configuration.md', "unknown config key 'retires'", configError({ retires: 1 }));
  // apps.md's refusal of a top-level `let`, as `parsl-ts run` reports it.
  const dir = mkdtempSync(join(root, '.tmp-docs-'));
  try {
    writeFileSync(join(dir, 'flow.ts'), "import { app } from 'parsl-ts';\nlet counter = 0;\ncounter += 1;\nconst bump = app((x: number) => x + counter);\n");
    const result = spawnSync(process.execPath, [bin, 'run', 'flow.ts', '--no-progress'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const message = /AppDefinitionError: ([^\n]*)/.exec(result.stderr)?.[1] ?? result.stderr;
    quotes('docs/apps.md', "AppDefinitionError: app bump defined in the entry script cannot take along what it uses from its script: 'counter' is a `let` the script assigns again (`counter += 1`), so a worker would see only one of its values; make it a `const`. Pass the value as an".replace('AppDefinitionError: ', ''), new Error(message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const htex = new HighThroughputExecutor({ label: 'htex', coresPerWorker: 2, provider: new LocalProvider({ initBlocks: 0 }) });
  quotes('docs/apps.md', "executor htex does not support resourceSpecification key 'num_nodes' (supported: priority, cores, memory)",
    thrown(() => htex.validateResourceSpecification({ num_nodes: 2 })));
  quotes('docs/apps.md', 'resourceSpecification cores: 4 cannot be satisfied: a worker of executor htex has at most 2 (coresPerWorker 2)',
    thrown(() => htex.validateResourceSpecification({ cores: 4 })));
});
