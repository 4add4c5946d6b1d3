// Compile-time checks of the public types (never run): `tsc` must accept every plain line
// and reject every line marked @ts-expect-error. test/types/types.test.ts compiles this file.
import { app, bashApp, joinApp, File, type AppFuture } from '../../src/index.js';

const add = app((a: number, b: number) => a + b);
const greet = app(async (name: string) => `hello ${name}`);
const total = app((values: number[]) => values.length);
const shape = app((o: { n: number; tags: string[] }) => o.n);
const echo = bashApp((message: string, _kw: { stdout?: string }) => `echo ${message}`);

const five: AppFuture<number> = add(2, 3);
const chained: AppFuture<number> = add(five, add(1, 1));
const text: AppFuture<string> = greet('world'); // the awaited return type
const viaPromise = add(Promise.resolve(1), 2);
const deep = total([1, five, Promise.resolve(3)]);
const nested = shape({ n: five, tags: ['a', greet('x')] });
const exitCode: AppFuture<number> = echo('hi', { stdout: 'hi.out' });
const fanIn = joinApp((n: number) => [add(n, 1), add(n, 2)]);
const joined: AppFuture<number[]> = fanIn(3);
const innerJoin = joinApp(() => add(1, 2));
const joinedOne: AppFuture<number> = innerJoin(); // the inner future's type, not unknown
const asyncJoin = joinApp(async (n: number) => [greet('a'), greet(String(n))]);
const joinedAsync: AppFuture<string[]> = asyncJoin(1);
const pause = app(function pause(x: number, dur = 0.1) {
  const seconds: number = dur; // a defaulted parameter has its default's type inside the app
  return x + seconds;
});
const paused: AppFuture<number> = pause(1);
const pausedLonger: AppFuture<number> = pause(five, 0.5);
const file = new File('data.txt');
const path: string = file.filepath;

async function awaited(): Promise<void> {
  const value: number = await chained;
  const s: string = await text;
  void value; void s;
}

// @ts-expect-error a future of string where a number is expected
add(greet('x'), 1);
// @ts-expect-error a plain string where a number is expected
add('1', 2);
// @ts-expect-error a future of string deep inside an array of numbers
total([1, greet('x')]);
// @ts-expect-error a future of number where an object's string[] element is expected
shape({ n: 1, tags: [five] });
// @ts-expect-error the future of a string app is not a future of number
const wrong: AppFuture<number> = greet('x');
// @ts-expect-error wrong number of arguments
add(1);
// @ts-expect-error the join app's future is a future of number
const wrongJoin: AppFuture<string> = innerJoin();
// @ts-expect-error a defaulted number parameter refuses a string
pause(1, 'slow');

void [viaPromise, deep, nested, exitCode, joined, path, awaited, wrong, joinedOne, joinedAsync, paused, pausedLonger, wrongJoin];
