// Two apps and a dependency: `greet` waits for `shout` because it is given its future.
// Run: npx parsl-ts run examples/hello.ts
import { app, load } from 'parsl-ts';

const shout = app((name: string) => name.toUpperCase());
const greet = app((name: string) => `Hello, ${name}!`);

const dfk = await load(); // no config: a thread pool with one thread per core
const loud = shout('world'); // returns a future at once
const message = greet(loud); // depends on `loud`: runs when it is done
console.log(await message); // Hello, WORLD!
await dfk.cleanup();
