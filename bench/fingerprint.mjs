// node bench/fingerprint.mjs [--points N] [--dim D] [--runs R] [--smoke] [--data DIR]
//
// The content fingerprint's cost on a real Qdrant ($QDRANT_BINARY, default /opt/qdrant/v1.19.0/qdrant):
// a collection of N points (default 100,000) of D dimensions (default 384) with payloads is fingerprinted
// in full (every point scrolled with vectors and payload) at several page sizes, sample-verified (256
// points fetched by id), and restored the way a restore does it (snapshot created, downloaded, uploaded into
// a new collection). The figures decide the restore's default `verify` level: `sample` when a full scroll
// takes longer than the restore itself. --data DIR keeps the server's storage there and reuses it (seeding
// and indexing 100,000 points take minutes).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { startRealQdrant } from '../test/helpers/real-qdrant.mjs';
import { startLatencyProxy } from './lib/latency-proxy.mjs';
import { ROOT } from './lib/services.mjs';

const { values: flags } = parseArgs({
  options: {
    points: { type: 'string' },
    dim: { type: 'string', default: '384' },
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    data: { type: 'string' },
  },
});
const POINTS = Number(flags.points ?? (flags.smoke ? 2000 : 100_000));
const DIM = Number(flags.dim);
const RUNS = flags.smoke ? 1 : Number(flags.runs);
const PAGE_SIZES = flags.smoke ? ['auto'] : ['auto', 100, 250, 500, 1000];
const FAR_MS = 20;
const BINARY = process.env.QDRANT_BINARY ?? '/opt/qdrant/v1.19.0/qdrant';
if (!existsSync(BINARY)) {
  console.error(`No Qdrant executable at ${BINARY}: set QDRANT_BINARY.`);
  process.exit(2);
}

// Bundle the TypeScript under test, as the action ships it.
const work = await mkdtemp(path.join(os.tmpdir(), 'bench-fingerprint-'));
execFileSync(
  'npx',
  ['ncc', 'build', 'bench/lib/fingerprint-entry.ts', '-o', path.join(work, 'lib'), '--quiet'],
  {
    cwd: ROOT,
    stdio: 'inherit',
  },
);
const libFile = path.join(work, 'lib', 'index.js');
const lib = await import(pathToFileURL(libFile).href);

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

const server = await startRealQdrant(BINARY, { dir: flags.data && path.resolve(flags.data) });
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

  console.log(
    `Qdrant ${(await client.version()).version} (${BINARY}), Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  const existing = (await client.listCollections()).includes('bench') ? await client.exactCount('bench') : -1;
  if (existing !== POINTS) await seedCollection();
  await call('DELETE', '/collections/restored');
  const green = await timed(async () => {
    for (;;) {
      const info = await client.collectionInfo('bench');
      if (info.status === 'green') return info;
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  console.log(
    `bench: ${POINTS.toLocaleString('en')} points × ${DIM}, green (waited ${secs(green.ms)} s), ${green.result.segments_count} segments`,
  );

  async function seedCollection() {
    console.log(`Seeding ${POINTS.toLocaleString('en')} points of ${DIM} dimensions with payloads...`);
    await call('DELETE', '/collections/bench');
    await call('PUT', '/collections/bench', { vectors: { size: DIM, distance: 'Cosine' } });
    const next = random(42);
    const words = [
      'vector',
      'search',
      'backup',
      'restore',
      'qdrant',
      'index',
      'shard',
      'payload',
      'snapshot',
    ];
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
  }

  // 1. Full fingerprint at each page size, each in a process of its own with a 64 MiB V8 heap (it fails if
  // memory grew with the collection); the order rotates from run to run (other load drifts).
  const reference = await lib.fingerprintCollection(client, 'bench');
  const times = new Map(PAGE_SIZES.map((size) => [size, []]));
  const peaks = new Map(PAGE_SIZES.map((size) => [size, 0]));
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < PAGE_SIZES.length; k++) {
      const pageSize = PAGE_SIZES[(k + run) % PAGE_SIZES.length];
      const child = path.join(ROOT, 'bench/lib/fingerprint-child.mjs');
      const args = ['--max-old-space-size=64', child, libFile, server.url, 'bench', String(pageSize)];
      const result = JSON.parse(execFileSync(process.execPath, args).toString());
      if (result.points !== POINTS)
        throw new Error(`fingerprint read ${result.points} points, not ${POINTS}`);
      if (result.digest !== reference.digest) throw new Error('fingerprint differs between runs');
      times.get(pageSize).push(result.ms);
      peaks.set(pageSize, Math.max(peaks.get(pageSize), result.peakRssMiB * 1024 * 1024));
    }
  }
  const rows = PAGE_SIZES.map((pageSize) => {
    const ms = median(times.get(pageSize));
    return {
      pageSize,
      ms,
      all: times.get(pageSize),
      pps: POINTS / (ms / 1000),
      peakRss: peaks.get(pageSize),
    };
  });

  // 1b. The same, 20 ms away (a proxy holds each request): larger pages pay fewer round trips.
  const proxy = await startLatencyProxy(server.url, FAR_MS);
  const far = [];
  try {
    for (const pageSize of flags.smoke ? ['auto'] : ['auto', 100, 500]) {
      const child = path.join(ROOT, 'bench/lib/fingerprint-child.mjs');
      const args = [child, libFile, proxy.url, 'bench', String(pageSize)];
      // Asynchronously: the proxy runs in this process.
      const result = JSON.parse((await promisify(execFile)(process.execPath, args)).stdout);
      if (result.digest !== reference.digest) throw new Error('fingerprint differs through the proxy');
      far.push({ pageSize, ms: result.ms });
    }
  } finally {
    await proxy.close();
  }

  // 2. Where the time goes, at 250 per page: the server and the transfer (text only), JSON.parse, hashing.
  const texts = [];
  const serverOnly = await timed(async () => {
    let offset = null;
    do {
      const response = await request(`${server.url}/collections/bench/points/scroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ limit: 250, offset, with_vector: true, with_payload: true }),
      });
      const text = await response.body.text();
      texts.push(text);
      const next = /"next_page_offset":(\d+|null)/.exec(text)[1];
      offset = next === 'null' ? null : Number(next);
    } while (offset !== null);
  });
  const wireBytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const parsed = [];
  const parseOnly = await timed(async () => {
    for (const text of texts) parsed.push(JSON.parse(text).result.points);
  });
  texts.length = 0;
  const hashOnly = await timed(async () => {
    for (const page of parsed) for (const point of page) lib.digestPoint(point);
  });
  parsed.length = 0;

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
  const upload = await timed(() =>
    client.uploadSnapshot('restored', file, { checksum: download.result.sha256 }),
  );
  await client.deleteSnapshot('bench', create.result.name);
  const restoredFull = await timed(() =>
    lib.fingerprintCollection(client, 'restored', { vectors: reference.vectors }),
  );
  const comparison = lib.compareFull('restored', reference, restoredFull.result);
  if (!comparison.ok) throw new Error(`restored content differs: ${comparison.message}`);

  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(0);
  console.log(
    `\n## Content fingerprint, ${POINTS.toLocaleString('en')} points × ${DIM} dims with payloads (median of ${RUNS})\n`,
  );
  console.log(
    '| full fingerprint, page size | time (s), median | all runs (s) | points/s | peak RSS (MiB) |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) {
    console.log(
      `| ${row.pageSize} | ${secs(row.ms)} | ${row.all.map(secs).join(', ')} | ${Math.round(row.pps).toLocaleString('en')} | ${mib(row.peakRss)} |`,
    );
  }
  console.log(
    `\n- ${FAR_MS} ms away (one run each): ${far.map((f) => `page ${f.pageSize}: ${secs(f.ms)} s`).join(', ')}`,
  );
  console.log(
    `- where the time goes (page 250, one pass each): server + transfer ${secs(serverOnly.ms)} s (${mib(wireBytes)} MiB of JSON), JSON.parse ${secs(parseOnly.ms)} s, hashing ${secs(hashOnly.ms)} s (${((hashOnly.ms * 1000) / POINTS).toFixed(1)} µs per point)`,
  );
  console.log(`- sample verification (256 points by id): ${median(sampleTimes).toFixed(0)} ms`);
  console.log(
    `- restore path: snapshot ${secs(create.ms)} s (${mib(create.result.size)} MiB), download ${secs(download.ms)} s, upload + recover ${secs(upload.ms)} s; total ${secs(create.ms + download.ms + upload.ms)} s (upload + recover alone: ${secs(upload.ms)} s)`,
  );
  console.log(
    `- full fingerprint of the restored collection: ${secs(restoredFull.ms)} s, equal to the original's: ${comparison.ok}`,
  );
  const best = rows.reduce((a, b) => (b.ms < a.ms ? b : a));
  console.log(
    `- full fingerprint / upload+recover: ${(best.ms / upload.ms).toFixed(2)}; full / sample: ${(best.ms / median(sampleTimes)).toFixed(0)}×`,
  );
  console.log(`- manifest entry: ${JSON.stringify(reference).length} bytes of JSON`);
} finally {
  await client.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
