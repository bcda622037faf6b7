// One full fingerprint in a process of its own (so its peak RSS is its own): node fingerprint-child.mjs
// LIB URL COLLECTION PAGE_SIZE (a number or 'auto'). Prints {ms, points, digest, peakRssMiB} as JSON.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [libPath, url, collection, pageSize] = process.argv.slice(2);
const options = pageSize === 'auto' ? {} : { pageSize: Number(pageSize) };
const lib = await import(pathToFileURL(libPath).href);
const client = new lib.QdrantClient({ url, timeoutMs: 3_600_000 });
const start = performance.now();
const fingerprint = await lib.fingerprintCollection(client, collection, options);
const ms = performance.now() - start;
await client.close();
const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
console.log(
  JSON.stringify({ ms, points: fingerprint.points, digest: fingerprint.digest, peakRssMiB: hwm / 1024 }),
);
