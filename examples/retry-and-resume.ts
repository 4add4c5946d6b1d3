// Fault tolerance: a flaky app retried within a budget, and results checkpointed as they
// arrive so that `parsl-ts run --resume` after a crash computes nothing twice.
// Run: npx parsl-ts run examples/retry-and-resume.ts   (then again with --resume)
import { app, load, ThreadPoolExecutor } from 'parsl-ts';

/**
 * Fails on its first try for odd inputs (a stand-in for a flaky network or node). Cached:
 * the key is the code and `x`; `scratch` is left out, so a rerun finds the same key.
 */
const flaky = app(async function flaky(x: number, kw: { scratch: string }) {
  const fs = await import('node:fs');
  const marker = `${kw.scratch}/attempted-${x}`;
  if (x % 2 === 1 && !fs.existsSync(marker)) {
    fs.writeFileSync(marker, 'tried');
    throw new Error(`transient failure for ${x}`);
  }
  return x * x;
}, { cache: true, ignoreForCache: ['scratch'] });

const { mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const scratch = mkdtempSync(`${tmpdir()}/parsl-ts-retry-`);

const dfk = await load({
  executors: [new ThreadPoolExecutor({ maxThreads: 2 })],
  retries: 2,                 // each task may fail twice more before its future fails
  checkpointMode: 'task_exit', // each cached result is on disk before its future resolves
});
try {
  const squares = await Promise.all([1, 2, 3, 4, 5].map((x) => flaky(x, { scratch })));
  console.log(`retry-and-resume: squares ${squares.join(', ')}; checkpoint in ${dfk.runDir}/checkpoint`);
} finally {
  await dfk.cleanup();
  rmSync(scratch, { recursive: true, force: true });
}
