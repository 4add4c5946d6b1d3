// Map-reduce over 1,000 tasks: estimate π by sampling points in the unit square on
// every core, then reduce the partial counts in a tree of `sum` tasks.
// Run: npm run demo   (or: npx parsl-ts run examples/map-reduce.ts)
import { app, load } from 'parsl-ts';

const TASKS = 1000;
const SAMPLES_PER_TASK = 20_000;

/** Counts samples that land inside the quarter circle (a seeded generator: reproducible). */
const sample = app(function sample(seed: number, samples: number) {
  let state = seed * 2654435761 % 4294967296 || 1;
  const next = () => { state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0; return state / 4294967296; };
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = next();
    const y = next();
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
});

const sum = app((values: number[]) => values.reduce((total, v) => total + v, 0));

const dfk = await load();
const started = performance.now();
let level = Array.from({ length: TASKS }, (_, seed) => sample(seed + 1, SAMPLES_PER_TASK));
// Reduce in groups of 32: each sum depends on the futures it is given.
while (level.length > 1) {
  const next = [];
  for (let i = 0; i < level.length; i += 32) next.push(sum(level.slice(i, i + 32)));
  level = next;
}
const inside = await level[0]!;
const total = TASKS * SAMPLES_PER_TASK;
const seconds = (performance.now() - started) / 1000;
console.log(`map-reduce: ${TASKS} sample tasks + ${dfk.counts().submitted - TASKS} sum tasks in ${seconds.toFixed(2)} s`);
console.log(`pi ≈ ${(4 * inside / total).toFixed(5)} from ${total.toLocaleString('en-US')} samples (${inside.toLocaleString('en-US')} inside)`);
await dfk.cleanup();
