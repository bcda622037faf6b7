import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collector = (options?: { type?: 'minor' | 'major' }) => void;

const EVERY_BYTES = 4 * 1024 * 1024;
let collector: Collector | null | undefined;

/** V8's collector, made callable once (the `gc` of a fresh context, as --expose-gc gives it); null if refused. */
function gc(): Collector | null {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as Collector;
    } catch {
      collector = null;
    }
  }
  return collector;
}

/**
 * A download receives a fresh buffer per socket read, and V8 frees dead buffers only when its heap, not
 * their bytes, calls for a collection: from a server that sends at loopback speed, 35-40 MiB of them piled
 * up (Node 24, 256 MiB snapshot: peak RSS 133 MiB; bench/README.md, "Memory"). A young-generation collection
 * every 4 MiB received frees them (peak 101 MiB, at 256 MiB as at 1 GiB), for well under a millisecond each.
 * Returns the function to call with each chunk's length.
 */
export function bufferReleaser(): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < EVERY_BYTES) return;
    since = 0;
    gc()?.({ type: 'minor' });
  };
}
