// npm run bench:scale: many collections on a real Qdrant, against the original shell scripts' way.
//
//   QDRANT_BINARY=/path/to/qdrant node bench/scale.mjs [--collections 1000] [--points 200] [--smoke]
//
// Two real Qdrant nodes (source and destination) run on free ports. Measured back to back in one run:
//   - the seed scripts' sequential curl loop: per collection create (wait=true), curl -o, delete; then per
//     collection curl -F upload into the destination;
//   - the CLI's backup and restore at --concurrency 4 (checksums, manifest, exact counts verified).
// Reported: wall times and ratios, REST requests per collection (from the nodes' telemetry), and the
// CLI's peak RSS at a tenth of the collections and at all of them (memory must stay flat).
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { measure } from './lib/proc.mjs';
import { startQdrantNode } from './lib/qdrant-process.mjs';
import { ROOT } from './lib/services.mjs';

const { values: flags } = parseArgs({
  options: {
    collections: { type: 'string' },
    points: { type: 'string', default: '200' },
    smoke: { type: 'boolean', default: false },
    node: { type: 'string' },
    keep: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '4' },
  },
  strict: true,
});
const BINARY = process.env.QDRANT_BINARY;
if (!BINARY) {
  console.log('bench/scale.mjs: skipped (set QDRANT_BINARY to a real Qdrant binary to run it)');
  process.exit(0);
}
const COUNT = Number(flags.collections ?? (flags.smoke ? 10 : 1000));
const POINTS = Number(flags.points);
const DIM = 16;
const NODE = flags.node ? path.resolve(flags.node) : process.execPath;
const DATA = path.join(ROOT, '.bench-data', `scale-${process.pid}`);
const CLI = path.join(DATA, 'dist/cli/index.js');

const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const cpu = (r) => (r.userS === undefined ? 'n/a' : seconds((r.userS + r.sysS) * 1000));
const mib = (kib) => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`);

async function seed(node, count) {
  for (let c = 0; c < count; c++) {
    const name = `scale_${String(c).padStart(4, '0')}`;
    await node.call('PUT', `/collections/${name}`, { vectors: { size: DIM, distance: 'Cosine' } });
    await node.call('PUT', `/collections/${name}/points?wait=true`, {
      points: Array.from({ length: POINTS }, (_, i) => ({
        id: i + 1,
        vector: Array.from({ length: DIM }, (_, d) => Math.sin(c * 31 + i * 7 + d)),
        payload: { c, i, tag: `t${i % 10}` },
      })),
    });
  }
}

async function dropAll(node) {
  const { collections } = await node.call('GET', '/collections');
  for (const { name } of collections) await node.call('DELETE', `/collections/${name}`);
}

function shell(script) {
  return measure('bash', ['-c', script], { timeoutMs: 2 * 60 * 60_000 });
}

async function cli(args) {
  return measure(NODE, [CLI, ...args], { timeoutMs: 2 * 60 * 60_000 });
}

async function onlyFolder(out) {
  const [folder] = await readdir(out);
  return path.join(out, folder);
}

async function main() {
  await mkdir(DATA, { recursive: true });
  await cp(path.join(ROOT, 'dist/cli'), path.dirname(CLI), { recursive: true });
  const source = await startQdrantNode(BINARY, path.join(DATA, 'source'));
  const dest = await startQdrantNode(BINARY, path.join(DATA, 'dest'));
  const lines = [];
  try {
    const small = Math.max(1, Math.round(COUNT / 10));
    await seed(source, small);
    // Peak memory at a tenth of the collections first, then at all of them.
    const smallOut = path.join(DATA, 'small');
    const smallBackup = await cli([
      'backup',
      '--url',
      source.url,
      '--out',
      smallOut,
      '--concurrency',
      flags.concurrency,
    ]);
    const smallRestore = await cli([
      'restore',
      await onlyFolder(smallOut),
      '--url',
      dest.url,
      '--concurrency',
      flags.concurrency,
    ]);
    await dropAll(dest);
    await rm(smallOut, { recursive: true, force: true });
    await dropAll(source);
    await seed(source, COUNT);
    const names = Array.from({ length: COUNT }, (_, c) => `scale_${String(c).padStart(4, '0')}`);

    // The seed scripts: one collection after the other.
    const seedOut = path.join(DATA, 'seed');
    await mkdir(seedOut, { recursive: true });
    const list = path.join(DATA, 'names.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(list, `${names.join('\n')}\n`));
    const sourceCpu0 = await source.cpuSeconds();
    const curlBackup = await shell(
      [
        `while read -r c; do`,
        `  name=$(curl -sf -X POST "${source.url}/collections/$c/snapshots?wait=true" | sed -n 's/.*"name":"\\([^"]*\\)".*/\\1/p')`,
        `  curl -sf -o ${sq(seedOut)}/$c.snapshot "${source.url}/collections/$c/snapshots/$name"`,
        `  curl -sf -X DELETE "${source.url}/collections/$c/snapshots/$name" > /dev/null`,
        `done < ${sq(list)}`,
      ].join('\n'),
    );
    const sourceCpuCurl = (await source.cpuSeconds()) - sourceCpu0;
    const destCpu0 = await dest.cpuSeconds();
    const curlRestore = await shell(
      [
        `while read -r c; do`,
        `  curl -sf -X POST "${dest.url}/collections/$c/snapshots/upload?priority=snapshot&wait=true" -F "snapshot=@${seedOut}/$c.snapshot" > /dev/null`,
        `done < ${sq(list)}`,
      ].join('\n'),
    );
    const destCpuCurl = (await dest.cpuSeconds()) - destCpu0;
    await dropAll(dest);
    await rm(seedOut, { recursive: true, force: true });

    const out = path.join(DATA, 'ours');
    const sourceBefore = await source.requestCount();
    const sourceCpu1 = await source.cpuSeconds();
    const ours = await cli(['backup', '--url', source.url, '--out', out, '--concurrency', flags.concurrency]);
    const sourceCpuOurs = (await source.cpuSeconds()) - sourceCpu1;
    const sourceRequests = (await source.requestCount()) - sourceBefore;
    const destBefore = await dest.requestCount();
    const destCpu1 = await dest.cpuSeconds();
    const oursRestore = await cli([
      'restore',
      await onlyFolder(out),
      '--url',
      dest.url,
      '--concurrency',
      flags.concurrency,
    ]);
    const destCpuOurs = (await dest.cpuSeconds()) - destCpu1;
    const destRequests = (await dest.requestCount()) - destBefore;

    lines.push(
      `Many collections: ${COUNT} collections × ${POINTS} points (${DIM} dims, payloads) on a real Qdrant, Node ${process.versions.node === undefined ? '?' : (await measure(NODE, ['--version'])).stdout.trim()}`,
      `| what | ours (--concurrency ${flags.concurrency}) | sequential curl loop | ratio | goal |`,
      `|---|---|---|---|---|`,
      `| backup | ${seconds(ours.ms)} | ${seconds(curlBackup.ms)} | ${(ours.ms / curlBackup.ms).toFixed(2)}× | ≤ 0.25× |`,
      `| restore (verified) | ${seconds(oursRestore.ms)} | ${seconds(curlRestore.ms)} | ${(oursRestore.ms / curlRestore.ms).toFixed(2)}× | ≤ 0.35× |`,
      `| REST requests per collection | backup ${(sourceRequests / COUNT).toFixed(1)}, restore ${(destRequests / COUNT).toFixed(1)} | backup 3, restore 1 | | |`,
      `| CPU time (user + sys) of the measured process | backup ${cpu(ours)}, restore ${cpu(oursRestore)} | backup ${cpu(curlBackup)}, restore ${cpu(curlRestore)} (bash + curl) | | |`,
      `| CPU time of Qdrant meanwhile | backup ${seconds(sourceCpuOurs * 1000)}, restore ${seconds(destCpuOurs * 1000)} | backup ${seconds(sourceCpuCurl * 1000)}, restore ${seconds(destCpuCurl * 1000)} | | |`,
      `| peak RSS, ${small} → ${COUNT} collections | backup ${mib(smallBackup.maxRssKiB)} → ${mib(ours.maxRssKiB)}, restore ${mib(smallRestore.maxRssKiB)} → ${mib(oursRestore.maxRssKiB)} | | | flat |`,
    );
    console.log(lines.join('\n'));
  } finally {
    await source.stop();
    await dest.stop();
    if (!flags.keep) await rm(DATA, { recursive: true, force: true });
  }
}

await main();
