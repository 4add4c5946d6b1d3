// A shell pipeline of bash apps connected by files: each app's `outputs` become
// DataFutures that the next app takes as `inputs`, so the files form the dependency graph.
// Run: npx parsl-ts run examples/shell-pipeline.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bashApp, File, load, type AppKeywords } from 'parsl-ts';

/** Writes `count` random numbers, one per line. */
const generate = bashApp((count: number, seed: number, kw: AppKeywords & { outputs: File[] }) =>
  `RANDOM=${seed}; for i in $(seq ${count}); do echo $RANDOM; done > ${kw.outputs[0]}`);

/** Sorts all inputs together, numerically. */
const sortAll = bashApp((kw: AppKeywords & { inputs: File[]; outputs: File[] }) =>
  `sort -n ${kw.inputs.join(' ')} > ${kw.outputs[0]}`);

/** Line count, smallest and largest value. */
const summarize = bashApp((kw: AppKeywords & { inputs: File[] }) =>
  `echo "$(wc -l < ${kw.inputs[0]}) numbers, min $(head -n1 ${kw.inputs[0]}), max $(tail -n1 ${kw.inputs[0]})"`);

const work = mkdtempSync(join(tmpdir(), 'parsl-ts-pipeline-'));
const dfk = await load();
try {
  const parts = [1, 2, 3, 4].map((seed) =>
    generate(250, seed, { outputs: [new File(join(work, `part-${seed}.txt`))] }).outputs[0]!);
  const sorted = sortAll({ inputs: parts, outputs: [new File(join(work, 'sorted.txt'))] });
  const report = join(work, 'summary.txt');
  await summarize({ inputs: [sorted.outputs[0]!], stdout: [report, 'w'] });
  console.log(`pipeline: ${readFileSync(report, 'utf8').trim()}`);
} finally {
  await dfk.cleanup();
  rmSync(work, { recursive: true, force: true });
}
