import type { Reporter } from './reporter.js';

/** Reports transfer progress at most every `everyMs`, with the rate since the start. */
export function progressTicker(reporter: Reporter, collection: string, verb: string, everyMs = 3_000) {
  const started = Date.now();
  let last = started;
  return (bytes: number, total: number | undefined): void => {
    const now = Date.now();
    if (now - last < everyMs && bytes !== total) return;
    last = now;
    const seconds = Math.max((now - started) / 1000, 0.001);
    reporter.progress(collection, verb, bytes, total, bytes / seconds);
  };
}
