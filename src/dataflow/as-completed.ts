/** `for await (const f of asCompleted(futures))`: each future as it ends, success or failure. */
export async function* asCompleted<F extends PromiseLike<unknown>>(futures: Iterable<F>): AsyncGenerator<F, void, undefined> {
  const ready: F[] = [];
  let wake: (() => void) | undefined;
  let remaining = 0;
  for (const future of futures) {
    remaining++;
    const onEnd = () => { ready.push(future); wake?.(); };
    Promise.resolve(future).then(onEnd, onEnd);
  }
  while (remaining > 0) {
    if (ready.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
    wake = undefined;
    while (ready.length > 0) {
      remaining--;
      yield ready.shift()!;
    }
  }
}
