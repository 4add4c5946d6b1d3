/**
 * `for await (const f of asCompleted(futures))`: each future as it ends, success or failure.
 * A hand-written iterator rather than an async generator: a generator would await each
 * yielded future and throw on the first failure, instead of handing the future over.
 */
export function asCompleted<F extends PromiseLike<unknown>>(futures: Iterable<F>): AsyncIterableIterator<F> {
  const ready: F[] = [];
  const waiting: ((result: IteratorResult<F, undefined>) => void)[] = [];
  let remaining = 0;
  for (const future of futures) {
    remaining++;
    const onEnd = () => {
      const wake = waiting.shift();
      if (wake) { remaining--; wake({ value: future, done: false }); } else ready.push(future);
    };
    Promise.resolve(future).then(onEnd, onEnd);
  }
  const iterator: AsyncIterableIterator<F> = {
    next(): Promise<IteratorResult<F, undefined>> {
      if (ready.length > 0) {
        remaining--;
        return Promise.resolve({ value: ready.shift()!, done: false });
      }
      if (remaining === 0) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    [Symbol.asyncIterator]() { return iterator; },
  };
  return iterator;
}
