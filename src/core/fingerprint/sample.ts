import { sha256 } from './canonical.js';

export interface SampleEntry {
  key: Buffer;
  /** SHA-256 of the id key: the sample is the points with the smallest. */
  rank: Buffer;
  parts: Buffer;
}

/**
 * Keeps the `size` points with the smallest SHA-256 of their id, in one pass and bounded memory (a max-heap
 * of `size` entries): the same ids are chosen whatever order the points arrive in, and the choice does not
 * favour any id range.
 */
export class DeterministicSample {
  private readonly heap: SampleEntry[] = [];

  constructor(readonly size: number) {}

  /** `parts` is only computed for points that enter the sample. */
  offer(key: Buffer, parts: () => Buffer): void {
    if (this.size === 0) return;
    const rank = sha256(key);
    if (this.heap.length < this.size) {
      this.heap.push({ key, rank, parts: parts() });
      this.up(this.heap.length - 1);
    } else if (Buffer.compare(rank, this.heap[0]!.rank) < 0) {
      this.heap[0] = { key, rank, parts: parts() };
      this.down(0);
    }
  }

  /** The entries by rank, smallest first. */
  entries(): SampleEntry[] {
    return [...this.heap].sort((a, b) => Buffer.compare(a.rank, b.rank));
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (Buffer.compare(heap[i]!.rank, heap[parent]!.rank) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      let largest = i;
      for (const child of [2 * i + 1, 2 * i + 2]) {
        if (child < heap.length && Buffer.compare(heap[child]!.rank, heap[largest]!.rank) > 0)
          largest = child;
      }
      if (largest === i) return;
      [heap[i], heap[largest]] = [heap[largest]!, heap[i]!];
      i = largest;
    }
  }
}
