// Error classes written the ordinary way (no `this.name`), exported with the apps that
// throw them: the driver must revive each thrown error as its own class.
import { app } from '../../src/index.js';

export class PlainFailure extends Error {}
export class NarrowFailure extends RangeError {
  constructor(message: string, readonly limit: number) {
    super(message);
  }
}

export const failPlain = app(function failPlain() {
  throw new PlainFailure('plain failure from a worker');
});

export const failNarrow = app(function failNarrow(limit: number) {
  throw new NarrowFailure(`over ${limit}`, limit);
});
