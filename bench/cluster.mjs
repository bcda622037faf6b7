// Cluster backup and restore against the same data on one node, and streamed vs created+downloaded shard
// snapshots, on real Qdrant processes on 127.0.0.1.
//
//   QDRANT_BINARY=/opt/qdrant/v1.19.0/qdrant node bench/cluster.mjs [--points 50000] [--dim 128] [--runs 3]
//
// The cluster modules are not in the CLI yet (issue 16, phase 2), so this builds a temporary ncc bundle of
// bench/lib/cluster-entry.ts and calls them in process. Figures are medians over --runs.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/services.mjs';
import { median } from './lib/stats.mjs';

const { values: flags } = parseArgs({
  options: {
    points: { type: 'string', default: '50000' },
    dim: { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    shards: { type: 'string', default: '6' },
  },
  strict: true,
});
if (!process.env.QDRANT_BINARY) {
  console.error('bench/cluster.mjs: set QDRANT_BINARY to a qdrant binary (e.g. /opt/qdrant/v1.19.0/qdrant).');
  process.exit(2);
}
const POINTS = Number(flags.points);
const DIM = Number(flags.dim);
const RUNS = Number(flags.runs);
const SHARDS = Number(flags.shards);

const work = await mkdtemp(path.join(os.tmpdir(), 'bench-cluster-'));
execFileSync(
  'npx',
  ['ncc', 'build', 'bench/lib/cluster-entry.ts', '-o', path.join(work, 'bundle'), '--quiet'],
  {
    cwd: ROOT,
    stdio: 'inherit',
  },
);
const lib = await import(pathToFileURL(path.join(work, 'bundle', 'index.js')).href);

const clientFor = (url) => new lib.QdrantClient({ url, timeoutMs: 600_000 });
async function call(url, method, route, body) {
  const response = await fetch(url + route, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()).result;
}
async function seed(url, collection, params) {
  await call(url, 'PUT', `/collections/${collection}`, {
    vectors: { size: DIM, distance: 'Cosine' },
    ...params,
  });
  await call(url, 'PUT', `/collections/${collection}/index?wait=true`, {
    field_name: 'group',
    field_schema: 'keyword',
  });
  for (let start = 0; start < POINTS; start += 1000) {
    const points = Array.from({ length: Math.min(1000, POINTS - start) }, (_, i) => {
      const id = start + i + 1;
      return {
        id,
        vector: Array.from({ length: DIM }, (_, d) => Math.sin(id * 0.37 + d)),
        payload: { group: `g${id % 13}`, text: `point number ${id}` },
      };
    });
    await call(url, 'PUT', `/collections/${collection}/points?wait=true`, { points });
  }
}
async function timed(fn) {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

const cluster = await lib.startQdrantCluster({ nodes: 3 });
const single = await lib.startQdrantNode();
const rows = [];
try {
  const entryUrl = cluster.nodes[0].url;
  await seed(entryUrl, 'bench', { shard_number: SHARDS, replication_factor: 2 });
  await seed(single.url, 'bench', {});
  const nodes = await lib.discoverCluster(clientFor(entryUrl), {
    url: entryUrl,
    nodes: cluster.nodes.map((n) => n.url),
    connect: clientFor,
  });
  const singleClient = clientFor(single.url);
  const figures = {
    stream: [],
    create: [],
    single: [],
    restoreCluster: [],
    restoreTransfer: [],
    restoreSingle: [],
  };
  let bytes = { cluster: 0, single: 0 };
  let manifest;
  for (let run = 0; run < RUNS; run++) {
    // Backups (alternating order between the two shard methods).
    for (const method of run % 2 === 0 ? ['create', 'stream'] : ['stream', 'create']) {
      const dir = await mkdtemp(path.join(work, `${method}-`));
      const { ms, result } = await timed(() =>
        lib.backupCollectionShards({ collection: 'bench', cluster: nodes, dir, concurrency: 3, method }),
      );
      figures[method].push(ms);
      bytes.cluster = result.files.reduce((n, f) => n + f.size, 0);
      if (method === 'stream') {
        const info = await nodes.entry.collectionInfo('bench');
        manifest = { dir, result, info };
      } else await rm(dir, { recursive: true, force: true });
    }
    const singleDir = await mkdtemp(path.join(work, 'single-'));
    const file = path.join(singleDir, 'bench.snapshot');
    const backupSingle = await timed(async () => {
      const made = await singleClient.createSnapshot('bench');
      const download = await singleClient.downloadSnapshot('bench', made.name, file, {
        expectedSha256: made.checksum,
      });
      await singleClient.deleteSnapshot('bench', made.name);
      return download;
    });
    figures.single.push(backupSingle.ms);
    bytes.single = backupSingle.result.size;

    // Restores: the shard-level backup into the 3-node cluster (new name), the collection snapshot into the node.
    const { dir, result, info } = manifest;
    const restored = await timed(() =>
      lib.restoreCollectionShards({
        source: {
          name: 'bench',
          points: result.points,
          config: info.config,
          payload_schema: info.payload_schema,
          sharding: result.sharding,
          files: result.files,
        },
        target: `bench_restored_${run}`,
        cluster: nodes,
        snapshotPath: (f) => path.join(dir, f.file),
        concurrency: 3,
        log: process.env.BENCH_VERBOSE
          ? (line) => console.log(`${new Date().toISOString()} ${line}`)
          : undefined,
      }),
    );
    figures.restoreCluster.push(restored.ms);
    const transferred = await timed(() =>
      lib.restoreCollectionShards({
        source: {
          name: 'bench',
          points: result.points,
          config: info.config,
          payload_schema: info.payload_schema,
          sharding: result.sharding,
          files: result.files,
        },
        target: `bench_transferred_${run}`,
        cluster: nodes,
        snapshotPath: (f) => path.join(dir, f.file),
        concurrency: 3,
        replicas: 'transfer',
      }),
    );
    figures.restoreTransfer.push(transferred.ms);
    await call(entryUrl, 'DELETE', `/collections/bench_transferred_${run}`);
    const restoredSingle = await timed(async () => {
      await singleClient.uploadSnapshot(`bench_restored_${run}`, file, {
        checksum: backupSingle.result.sha256,
      });
      const count = await singleClient.exactCount(`bench_restored_${run}`);
      if (count !== POINTS) throw new Error(`single-node restore counted ${count}`);
    });
    figures.restoreSingle.push(restoredSingle.ms);
    await rm(dir, { recursive: true, force: true });
    await rm(singleDir, { recursive: true, force: true });
    await call(entryUrl, 'DELETE', `/collections/bench_restored_${run}`);
    await call(single.url, 'DELETE', `/collections/bench_restored_${run}`);
  }
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  rows.push(
    [
      'backup, 3-node cluster, shards streamed (GET .../shards/{s}/snapshot)',
      s(median(figures.stream)),
      mib(bytes.cluster),
    ],
    [
      'backup, 3-node cluster, shards created + downloaded + deleted',
      s(median(figures.create)),
      mib(bytes.cluster),
    ],
    [
      'backup, one node, collection snapshot created + downloaded + deleted',
      s(median(figures.single)),
      mib(bytes.single),
    ],
    [
      'restore, shard by shard into a 3-node cluster, file uploaded to every replica (all Active, counts)',
      s(median(figures.restoreCluster)),
      '',
    ],
    [
      'restore, shard by shard into a 3-node cluster, one replica uploaded, others by shard transfer',
      s(median(figures.restoreTransfer)),
      '',
    ],
    ['restore, collection snapshot into one node (count)', s(median(figures.restoreSingle)), ''],
  );
  console.log(
    `\n${POINTS} points of ${DIM} dimensions, ${SHARDS} shards x replication 2 on 3 nodes vs 1 shard on one node; median of ${RUNS} runs; ${os.cpus().length} cores\n`,
  );
  console.log('| what | time | bytes |\n|---|---:|---:|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(
    `\nstream / create+download: ${(median(figures.stream) / median(figures.create)).toFixed(2)}x; cluster / one node: backup ${(median(figures.stream) / median(figures.single)).toFixed(2)}x, restore ${(median(figures.restoreCluster) / median(figures.restoreSingle)).toFixed(2)}x`,
  );
  await nodes.close();
  await nodes.entry.close();
  await singleClient.close();
} finally {
  await cluster.stop();
  await single.stop();
  await rm(work, { recursive: true, force: true });
}
