/**
 * Tasks waiting for a worker: lowest `priority` first, then submission order.
 * A binary heap over parallel arrays; removal by id is lazy (cancelled ids are skipped).
 */
export class PriorityQueue<T> {
  #items: T[] = [];
  #keys: number[] = [];
  #seqs: number[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  push(item: T, priority = 0): void {
    const items = this.#items, keys = this.#keys, seqs = this.#seqs;
    let i = items.length;
    const seq = this.#seq++;
    items.push(item); keys.push(priority); seqs.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! < priority || (keys[parent] === priority && seqs[parent]! < seq)) break;
      items[i] = items[parent]!; keys[i] = keys[parent]!; seqs[i] = seqs[parent]!;
      i = parent;
    }
    items[i] = item; keys[i] = priority; seqs[i] = seq;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  pop(): T | undefined {
    const items = this.#items, keys = this.#keys, seqs = this.#seqs;
    const n = items.length;
    if (n === 0) return undefined;
    const top = items[0];
    const lastItem = items.pop()!, lastKey = keys.pop()!, lastSeq = seqs.pop()!;
    if (n > 1) {
      const size = n - 1;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        if (right < size && (keys[right]! < keys[left]! || (keys[right] === keys[left] && seqs[right]! < seqs[left]!))) child = right;
        if (lastKey < keys[child]! || (lastKey === keys[child] && lastSeq < seqs[child]!)) break;
        items[i] = items[child]!; keys[i] = keys[child]!; seqs[i] = seqs[child]!;
        i = child;
      }
      items[i] = lastItem; keys[i] = lastKey; seqs[i] = lastSeq;
    }
    return top;
  }

  /** Removes the first item matching `predicate` (O(n)); true if one was removed. */
  remove(predicate: (item: T) => boolean): boolean {
    const index = this.#items.findIndex(predicate);
    if (index < 0) return false;
    const rest: [T, number, number][] = [];
    for (let i = 0; i < this.#items.length; i++) {
      if (i !== index) rest.push([this.#items[i]!, this.#keys[i]!, this.#seqs[i]!]);
    }
    rest.sort((a, b) => a[1] - b[1] || a[2] - b[2]);
    this.#items = rest.map((r) => r[0]);
    this.#keys = rest.map((r) => r[1]);
    this.#seqs = rest.map((r) => r[2]);
    return true;
  }

  /** Empties the queue, returning what it held in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.pop(); item !== undefined; item = this.pop()) out.push(item);
    return out;
  }
}
