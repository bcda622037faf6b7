// node bench/fingerprint.mjs [--points N] [--dim D] [--smoke] [--keep-server]
//
// The content fingerprint's cost on a real Qdrant ($QDRANT_BINARY, default /opt/qdrant/v1.19.0/qdrant):
// a collection of N points (default 100,000) of D dimensions (default 384) with payloads is fingerprinted
// in full (every point scrolled with vectors and payload) at several page sizes, sample-verified (256
// points fetched by id), and restored the way a restore does it (snapshot created, downloaded, uploaded into
// a new collection). The figures decide the restore's default `verify` level: `sample` when a full scroll
// takes longer than the restore itself.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startRealQdrant } from '../test/helpers/real-qdrant.mjs';
import { ROOT } from './lib/services.mjs';

const { values: flags } = parseArgs({
  options: {
    points: { type: 'string' },
    dim: { type: 'string', default: '384' },
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
  },
});
const POINTS = Number(flags.points ?? (flags.smoke ? 2000 : 100_000));
const DIM = Number(flags.dim);
const RUNS = flags.smoke ? 1 : Number(flags.runs);
const PAGE_SIZES = flags.smoke ? [500] : [100, 250, 500, 1000, 2000];
const BINARY = process.env.QDRANT_BINARY ?? '/opt/qdrant/v1.19.0/qdrant';
if (!existsSync(BINARY)) {
  console.error(`No Qdrant executable at ${BINARY}: set QDRANT_BINARY.`);
  process.exit(2);
}

// Bundle the TypeScript under test, as the action ships it.
const work = await mkdtemp(path.join(os.tmpdir(), 'bench-fingerprint-'));
execFileSync('npx', ['ncc', 'build', 'bench/lib/fingerprint-entry.ts', '-o', path.join(work, 'lib'), '--quiet'], {
  cwd: ROOT,
  stdio: 'inherit',
});
const lib = await import(pathToFileURL(path.join(work, 'lib', 'index.js')).href);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => (ms / 1000).toFixed(2);
async function timed(fn) {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const server = await startRealQdrant(BINARY);
const client = new lib.QdrantClient({ url: server.url, timeoutMs: 3_600_000 });
try {
  const call = async (method, route, body) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text).result;
  };

  console.log(`Qdrant ${(await client.version()).version} (${BINARY}), Node ${process.version}, ${os.cpus().length} CPUs`);
  console.log(`Seeding ${POINTS.toLocaleString('en')} points of ${DIM} dimensions with payloads...`);
  await call('PUT', '/collections/bench', { vectors: { size: DIM, distance: 'Cosine' } });
  const next = random(42);
  const words = ['vector', 'search', 'backup', 'restore', 'qdrant', 'index', 'shard', 'payload', 'snapshot'];
  const seed = await timed(async () => {
    for (let start = 0; start < POINTS; start += 1000) {
      const points = [];
      for (let id = start + 1; id <= Math.min(POINTS, start + 1000); id++) {
        points.push({
          id,
          vector: Array.from({ length: DIM }, () => next() * 2 - 1),
          payload: {
            title: `${words[id % 9]} ${words[(id * 7) % 9]} ${id}`,
            category: words[id % 5],
            price: Math.round(next() * 10000) / 100,
            tags: [words[id % 3], words[(id + 4) % 9]],
            meta: { source: 'bench', rank: id % 97, fresh: id % 2 === 0 },
          },
        });
      }
      await call('PUT', '/collections/bench/points?wait=true', { points });
    }
  });
  console.log(`  seeded in ${secs(seed.ms)} s; waiting for the optimizer (status green)...`);
  const green = await timed(async () => {
    for (;;) {
      const info = await client.collectionInfo('bench');
      if (info.status === 'green') return info;
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  console.log(`  green after ${secs(green.ms)} s, ${green.result.segments_count} segments`);

  // 1. Full fingerprint at each page size.
  const rows = [];
  let reference;
  for (const pageSize of PAGE_SIZES) {
    const times = [];
    let peakRss = 0;
    for (let run = 0; run < RUNS; run++) {
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const { ms, result } = await timed(() => lib.fingerprintCollection(client, 'bench', { pageSize }));
      clearInterval(sampler);
      times.push(ms);
      if (result.points !== POINTS) throw new Error(`fingerprint read ${result.points} points, not ${POINTS}`);
      if (reference && result.digest !== reference.digest) throw new Error('fingerprint differs between runs');
      reference ??= result;
    }
    const ms = median(times);
    rows.push({ pageSize, ms, pps: POINTS / (ms / 1000), peakRss });
  }

  // 2. Where the time goes, at 500 per page: the scroll and JSON parse alone, then hashing alone.
  const pages = [];
  const scrollOnly = await timed(async () => {
    let offset = null;
    do {
      const page = await client.scrollPoints('bench', { limit: 500, offset, withVector: true, withPayload: true });
      if (pages.length < 20) pages.push(page);
      offset = page.next_page_offset;
    } while (offset !== null);
  });
  const sampled = pages.flatMap((p) => p.points);
  const hashOnly = await timed(async () => {
    for (const point of sampled) lib.digestPoint(point);
  });
  const hashPerPoint = hashOnly.ms / sampled.length;

  // 3. Sample verification: 256 points fetched by id.
  const sampleTimes = [];
  for (let run = 0; run < Math.max(5, RUNS); run++) {
    const { ms, result } = await timed(() => lib.verifySample(client, 'bench', reference));
    if (!result.ok) throw new Error(result.message);
    sampleTimes.push(ms);
  }

  // 4. The restore it would verify: snapshot, download, upload into a new collection.
  const files = path.join(work, 'files');
  await mkdir(files);
  const create = await timed(() => client.createSnapshot('bench'));
  const file = path.join(files, 'bench.snapshot');
  const download = await timed(() => client.downloadSnapshot('bench', create.result.name, file));
  const upload = await timed(() => client.uploadSnapshot('restored', file, { checksum: download.result.sha256 }));
  await client.deleteSnapshot('bench', create.result.name);
  const restoredFull = await timed(() =>
    lib.fingerprintCollection(client, 'restored', { vectors: reference.vectors, pageSize: 500 }),
  );
  const comparison = lib.compareFull('restored', reference, restoredFull.result);
  if (!comparison.ok) throw new Error(`restored content differs: ${comparison.message}`);

  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(0);
  console.log(`\n## Content fingerprint, ${POINTS.toLocaleString('en')} points × ${DIM} dims with payloads (median of ${RUNS})\n`);
  console.log('| full fingerprint, page size | time (s) | points/s | peak RSS (MiB) |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) {
    console.log(`| ${row.pageSize} | ${secs(row.ms)} | ${Math.round(row.pps).toLocaleString('en')} | ${mib(row.peakRss)} |`);
  }
  console.log(`\n- scroll + JSON parse alone (page 500): ${secs(scrollOnly.ms)} s; hashing alone: ${(hashPerPoint * 1000).toFixed(1)} µs per point (${secs(hashPerPoint * POINTS)} s for all)`);
  console.log(`- sample verification (256 points by id): ${median(sampleTimes).toFixed(0)} ms`);
  console.log(`- restore path: snapshot ${secs(create.ms)} s (${mib(create.result.size)} MiB), download ${secs(download.ms)} s, upload + recover ${secs(upload.ms)} s; total ${secs(create.ms + download.ms + upload.ms)} s (upload + recover alone: ${secs(upload.ms)} s)`);
  console.log(`- full fingerprint of the restored collection: ${secs(restoredFull.ms)} s, equal to the original's: ${comparison.ok}`);
  const best = rows.reduce((a, b) => (b.ms < a.ms ? b : a));
  console.log(`- full fingerprint / upload+recover: ${(best.ms / upload.ms).toFixed(2)}; full / sample: ${(best.ms / median(sampleTimes)).toFixed(0)}×`);
  console.log(`- manifest entry: ${JSON.stringify(reference).length} bytes of JSON`);
} finally {
  await client.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
