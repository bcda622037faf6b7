// npm run bench: the action's performance against its anchors, as figures and side-by-side ratios.
//
//   node bench/run.mjs [--smoke] [--only 1,3] [--runs N] [--keep]
//
// Every measured command runs as a process of its own (the bundled CLI dist/cli/index.js, the bundled
// action dist/main/index.js, curl, sha256sum) against the Qdrant REST emulator and the local artifact
// service, each also in a process of its own, so the RSS and CPU time reported are the measured
// process's alone. Ratios are taken run by run between commands measured back to back (their order
// rotating from run to run) and the table shows their median. --smoke runs every scenario once at tiny
// sizes and checks no targets (.ci/run calls it so the benchmark never rots); it exits non-zero when a
// scenario crashes, as the full run does.
import { spawnSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { realishBinarySnapshot, randomSnapshot, realishPoints, REALISH_DIM } from './lib/data.mjs';
import { lineTime, measure, hasGnuTime } from './lib/proc.mjs';
import { startArtifactProcess, startEmulatorProcess, ROOT } from './lib/services.mjs';
import { markdownTable, median, verdict } from './lib/stats.mjs';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    keep: { type: 'boolean', default: false },
    node: { type: 'string' },
    'also-node': { type: 'string' },
    'backup-size': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (flags.help) {
  console.log(`node bench/run.mjs [--smoke] [--only 1,2,3,4,5] [--runs N] [--keep]
  --smoke   every scenario once at tiny sizes, no targets checked (CI)
  --only    run these scenarios only (1 backup vs curl, 2 restore vs curl, 3 peak RSS,
            4 collections in parallel, 5 artifact compression levels)
  --runs N  runs per measurement (default: 5 for 1-2, 3 for 3-5; smoke: 1)
  --keep    keep the data folder (.bench-data/run-PID) for inspection
  --node PATH       run the CLI and the action with this Node binary (default: the one running this)
  --also-node PATH  repeat scenario 3 (peak RSS) with a second Node binary, e.g. Node 24 as runners use
  --backup-size GIB the snapshot of scenarios 1 and 2 (default 1; issue 13 asks 8)`);
  process.exit(0);
}

const SMOKE = flags.smoke;
const only = new Set((flags.only ?? '1,2,3,4,5').split(',').map((s) => Number(s.trim())));
const runsFor = (scenario) => {
  if (flags.runs) return Math.max(1, Number(flags.runs));
  if (SMOKE) return 1;
  return scenario <= 2 ? 5 : 3;
};

const SIZES = SMOKE
  ? {
      backup: 4 * MIB,
      rss: [2 * MIB, 8 * MIB],
      parallel: { collections: 2, delayMs: 100, bytes: 1 * MIB },
      artifact: { random: 2 * MIB, realish: 2 * MIB, upsertPoints: 200 },
    }
  : {
      backup: Number(flags['backup-size'] ?? 1) * GIB,
      rss: [256 * MIB, 2 * GIB],
      parallel: { collections: 8, delayMs: 2000, bytes: 4 * MIB },
      artifact: { random: 256 * MIB, realish: 256 * MIB, upsertPoints: 10_000 },
    };

const DATA = path.join(ROOT, '.bench-data', `run-${process.pid}`);
// The bundles are copied at the start, so a rebuild of dist/ during the run cannot break it or mix versions.
const CLI = path.join(DATA, 'dist/cli/index.js');
const ACTION = path.join(DATA, 'dist/main/index.js');
const NODE = flags.node ? path.resolve(flags.node) : process.execPath;
const ALSO_NODE = flags['also-node'] ? path.resolve(flags['also-node']) : undefined;
const nodeVersion = (node) => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

/** @type {import('./lib/stats.mjs').Row[]} */
const rows = [];
const notes = [];
const failures = [];

const label = (bytes) =>
  bytes >= GIB ? `${+(bytes / GIB).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;
const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const log = (message) => console.error(`[bench] ${message}`);

function freeBytes(dir) {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function requireDisk(bytes, what) {
  const free = freeBytes(DATA);
  if (free < bytes + 2 * GIB && !SMOKE) {
    throw new Error(
      `${what} needs about ${label(bytes)} of disk plus 2 GiB of margin; ${label(free)} free under ${DATA}.`,
    );
  }
}

/** Between measured runs: flush dirty pages (the previous run's writes) so they do not land on the next. */
async function settle() {
  spawnSync('sync');
  await sleep(SMOKE ? 20 : 300);
}

/** Rotates the order of the variants from run to run, so drift (page cache, the background load) is shared. */
function rotate(list, run) {
  const k = run % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function machineLine() {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `Machine: ${model}, ${cpus.length} cores, ${(os.totalmem() / GIB).toFixed(1)} GiB RAM, Node ${nodeVersion(NODE)}${ALSO_NODE ? ` (and ${nodeVersion(ALSO_NODE)} in scenario 3)` : ''}, ${os.platform()} ${os.arch()}, ${label(freeBytes(DATA))} disk free under .bench-data, load average ${load} at start${SMOKE ? ' (smoke run: tiny sizes, 1 run, no targets checked)' : ''}`;
}

// ------------------------------------------------------------------------------------------------ data

const made = new Map();
/** A snapshot file of the given kind and size, made once per bench run. */
async function snapshotFile(kind, bytes) {
  const key = `${kind}-${bytes}`;
  if (made.has(key)) return made.get(key);
  const file = path.join(DATA, 'files', `${key}.snapshot`);
  await mkdir(path.dirname(file), { recursive: true });
  const started = Date.now();
  const result =
    kind === 'random'
      ? await randomSnapshot(file, `${kind}`, bytes)
      : await realishBinarySnapshot(file, `${kind}`, bytes);
  log(
    `made ${path.basename(file)} (${label(result.size)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const entry = { file, ...result };
  made.set(key, entry);
  return entry;
}

async function dropFile(kind, bytes) {
  const key = `${kind}-${bytes}`;
  const entry = made.get(key);
  if (!entry) return;
  made.delete(key);
  await rm(entry.file, { force: true });
}

// ------------------------------------------------------------------------------------------------ commands

/** The bundled CLI as a measured process. */
const PROBE = path.join(ROOT, 'bench/lib/memory-probe.mjs');

/**
 * The CLI as a measured process, with the memory probe preloaded: `memory` holds the peaks of its V8 heap,
 * external memory and array buffers (MiB), which say where a peak RSS goes.
 */
async function cli(args, node = NODE) {
  const probeFile = path.join(DATA, `probe-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const result = await measure(node, ['--import', PROBE, CLI, ...args], {
    env: { ...process.env, BENCH_MEMORY_PROBE: probeFile },
  });
  result.memory = await readFile(probeFile, 'utf8')
    .then((text) => JSON.parse(text).peak)
    .catch(() => undefined);
  await rm(probeFile, { force: true });
  return result;
}

async function cliBackup(url, out, collections, concurrency, node = NODE) {
  const result = await cli(
    [
      'backup',
      '--out',
      out,
      '--url',
      url,
      '--collections',
      collections,
      '--concurrency',
      String(concurrency),
    ],
    node,
  );
  const folders = await readdir(out);
  if (folders.length !== 1)
    throw new Error(`expected one backup folder under ${out}, found ${folders.length}`);
  const folder = path.join(out, folders[0]);
  const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
  return { result, folder, manifest };
}

async function cliRestore(url, folder, rename, node = NODE) {
  return cli(
    [
      'restore',
      folder,
      '--url',
      url,
      '--rename',
      rename,
      '--if-exists',
      'overwrite',
      '--no-verify',
      '--no-aliases',
    ],
    node,
  );
}

/** A shell command line as a measured process (the curl baselines). */
const shell = (script, options) => measure('bash', ['-c', `set -euo pipefail\n${script}`], options);

/** Drops a collection and every snapshot file the server keeps of it. */
async function dropCollection(emu, name) {
  await emu.clearSnapshots(name).catch(() => {});
  await emu.rest('DELETE', `/collections/${encodeURIComponent(name)}`);
}

const mibPerS = (bytes, ms) => bytes / MIB / (ms / 1000);
const ratios = (a, b) => a.map((x, i) => x / b[i]);
const rssMiB = (r) => (r.maxRssKiB === undefined ? NaN : r.maxRssKiB / 1024);
const cpuS = (r) => (r.userS === undefined ? NaN : r.userS + r.sysS);

// ------------------------------------------------------------------------------------------------ scenarios

let mainEmu;
async function emulator() {
  mainEmu ??= await startEmulatorProcess(path.join(DATA, 'emulator'));
  return mainEmu;
}

/** The folder backed up in scenario 1 and restored in scenario 2. */
let backupOf1;

async function scenario1() {
  const runs = runsFor(1);
  const bytes = SIZES.backup;
  requireDisk(3 * bytes, 'Scenario 1');
  const emu = await emulator();
  const snap = await snapshotFile('random', bytes);
  const collection = 'bench_backup';
  await emu.addFromSnapshot(collection, snap.file, snap.sha256);
  // The baseline downloads a snapshot created once through the REST API and kept on the server.
  const kept = await emu.rest('POST', `/collections/${collection}/snapshots?wait=true`);
  // Snapshot names have a one-second resolution: the CLI's own must not take the kept one's name.
  await sleep(1100);
  const keptUrl = `${emu.url}/collections/${collection}/snapshots/${encodeURIComponent(kept.name)}`;
  const curlFile = path.join(DATA, 's1-curl.snapshot');
  const ours = [];
  const oursDownload = [];
  const oursCpu = [];
  const oursRss = [];
  const curl = [];
  const curlCpu = [];
  const full = [];
  const check = (stdout) => {
    if (!stdout.includes(snap.sha256))
      throw new Error(`sha256sum printed ${stdout.trim()}, not ${snap.sha256}`);
  };
  for (let run = 0; run < runs; run++) {
    for (const variant of rotate(['ours', 'curl', 'full'], run)) {
      await settle();
      if (variant === 'ours') {
        const out = path.join(DATA, `s1-out-${run}`);
        const { result, folder, manifest } = await cliBackup(emu.url, out, collection, 1);
        if (manifest.collections[0]?.files[0].snapshot_sha256 !== snap.sha256)
          throw new Error('the backup manifest records another SHA-256 than the snapshot file has');
        ours.push(result.ms);
        const downloading = lineTime(result, /created \(\d+ bytes\); downloading/);
        oursDownload.push(downloading === undefined ? NaN : result.ms - downloading);
        oursCpu.push(cpuS(result));
        oursRss.push(rssMiB(result));
        if (backupOf1) await rm(out, { recursive: true, force: true });
        else backupOf1 = { folder, collection, snap };
      } else if (variant === 'curl') {
        const r = await shell(`curl -sf -o ${sq(curlFile)} ${sq(keptUrl)} && sha256sum ${sq(curlFile)}`);
        check(r.stdout);
        curl.push(r.ms);
        curlCpu.push(cpuS(r));
        await rm(curlFile, { force: true });
      } else {
        // What the CLI asks of the server too: create the snapshot, download it, delete it.
        const base = `${emu.url}/collections/${collection}/snapshots`;
        const r = await shell(
          [
            `name=$(curl -sf -X POST ${sq(`${base}?wait=true`)} | sed -n 's/.*"name":"\\([^"]*\\)".*/\\1/p')`,
            `curl -sf -o ${sq(curlFile)} ${sq(base)}/"$name"`,
            `sha256sum ${sq(curlFile)}`,
            `curl -sf -X DELETE ${sq(base)}/"$name"'?wait=true' >/dev/null`,
          ].join('\n'),
        );
        check(r.stdout);
        full.push(r.ms);
        await rm(curlFile, { force: true });
      }
    }
  }
  await emu.rest('DELETE', `/collections/${collection}/snapshots/${encodeURIComponent(kept.name)}`);
  const s = `1 backup ${label(bytes)}`;
  rows.push(
    {
      scenario: s,
      label: 'ours: CLI `backup` (process: counts, create, download + SHA-256, delete)',
      values: ours,
      unit: 'ms',
    },
    {
      scenario: s,
      label: 'ours: of which download + hash (from "downloading" to exit)',
      values: oursDownload,
      unit: 'ms',
    },
    {
      scenario: s,
      label: 'ours: throughput of the whole process',
      values: ours.map((ms) => mibPerS(snap.size, ms)),
      unit: 'MiB/s',
    },
    {
      scenario: s,
      label: 'baseline: `curl -o` + `sha256sum` (snapshot pre-created, kept)',
      values: curl,
      unit: 'ms',
    },
    {
      scenario: s,
      label: 'baseline: `curl` POST + `curl -o` + `sha256sum` + `curl` DELETE',
      values: full,
      unit: 'ms',
    },
    {
      scenario: s,
      label: 'CPU time (user+sys): ours / `curl -o` + `sha256sum`',
      values: ratios(oursCpu, curlCpu),
      unit: 'ratio',
    },
    { scenario: s, label: 'peak RSS of the CLI', values: oursRss, unit: 'MiB' },
    {
      scenario: s,
      label: '**ratio ours / (`curl -o` + `sha256sum`)**',
      values: ratios(ours, curl),
      unit: 'ratio',
      target: { max: 0.85, text: '≤ 0.85' },
    },
    {
      scenario: s,
      label: 'ratio ours / (create + `curl -o` + `sha256sum` + delete)',
      values: ratios(ours, full),
      unit: 'ratio',
    },
  );
}

async function scenario2() {
  const runs = runsFor(2);
  const emu = await emulator();
  if (!backupOf1) {
    // Scenario 1 did not run: make the backup to restore (not measured).
    requireDisk(3 * SIZES.backup, 'Scenario 2');
    const snap = await snapshotFile('random', SIZES.backup);
    await emu.addFromSnapshot('bench_backup', snap.file, snap.sha256);
    const { folder } = await cliBackup(emu.url, path.join(DATA, 's1-out-0'), 'bench_backup', 1);
    backupOf1 = { folder, collection: 'bench_backup', snap };
  }
  const { folder, collection, snap } = backupOf1;
  const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
  const file = path.join(folder, manifest.collections[0].files[0].file);
  const target = 'bench_restored';
  const uploadUrl = `${emu.url}/collections/${target}/snapshots/upload?priority=snapshot&wait=true&checksum=${snap.sha256}`;
  const ours = [];
  const oursValidate = [];
  const oursUpload = [];
  const oursRss = [];
  const curl = [];
  const hash = [];
  for (let run = 0; run < runs; run++) {
    for (const variant of rotate(['ours', 'curl', 'sha256'], run)) {
      await settle();
      if (variant === 'ours') {
        const r = await cliRestore(emu.url, folder, `${collection}=${target}`);
        ours.push(r.ms);
        const validated = lineTime(r, /^Backup validated/);
        oursValidate.push(validated ?? NaN);
        oursUpload.push(validated === undefined ? NaN : r.ms - validated);
        oursRss.push(rssMiB(r));
      } else if (variant === 'curl') {
        const r = await shell(`curl -sf -o /dev/null -F snapshot=@${sq(file)} ${sq(uploadUrl)}`);
        curl.push(r.ms);
      } else {
        // What the CLI's check of the backup folder costs, done by the fastest tool at hand.
        const r = await shell(`sha256sum ${sq(file)}`);
        hash.push(r.ms);
      }
      if (variant !== 'sha256') {
        const info = await emu.rest('GET', `/collections/${target}`);
        if (info.points_count !== snap.points)
          throw new Error(`${target} holds ${info.points_count} points after the upload, not ${snap.points}`);
        await dropCollection(emu, target);
      }
    }
  }
  const s = `2 restore ${label(SIZES.backup)}`;
  rows.push(
    {
      scenario: s,
      label: 'ours: CLI `restore --if-exists overwrite --no-verify` (process)',
      values: ours,
      unit: 'ms',
    },
    {
      scenario: s,
      label: 'ours: of which start + SHA-256 check of the backup folder',
      values: oursValidate,
      unit: 'ms',
    },
    {
      scenario: s,
      label: 'ours: of which upload + recover (from "Backup validated" to exit)',
      values: oursUpload,
      unit: 'ms',
    },
    {
      scenario: s,
      label: 'baseline: `curl -F snapshot=@FILE …/upload?priority=snapshot`',
      values: curl,
      unit: 'ms',
    },
    { scenario: s, label: 'reference: `sha256sum FILE`', values: hash, unit: 'ms' },
    { scenario: s, label: 'peak RSS of the CLI', values: oursRss, unit: 'MiB' },
    {
      scenario: s,
      label: '**ratio ours / `curl -F`**',
      values: ratios(ours, curl),
      unit: 'ratio',
      target: { max: 1.15, text: '≤ 1.15' },
    },
    {
      scenario: s,
      label: '**ratio ours / (`sha256sum` + `curl -F`)**: both check, then upload (issue 13)',
      values: ours.map((ms, i) => ms / (hash[i] + curl[i])),
      unit: 'ratio',
      target: { max: 1.0, text: '≤ 1.00' },
    },
    {
      scenario: s,
      label: 'ratio ours without the SHA-256 check (upload phase) / `curl -F`',
      values: ratios(oursUpload, curl),
      unit: 'ratio',
    },
  );
}

async function scenario3() {
  const runs = runsFor(3);
  const emu = await emulator();
  const nodes = [NODE, ...(ALSO_NODE ? [ALSO_NODE] : [])];
  const tag = (node) => (ALSO_NODE ? `Node ${nodeVersion(node)} ` : '');
  /** peaks[node][bytes] = { backup: MiB[], restore: MiB[] } */
  const peaks = new Map(nodes.map((node) => [node, {}]));
  for (const bytes of SIZES.rss) {
    requireDisk(4 * bytes, `Scenario 3 at ${label(bytes)}`);
    const snap = await snapshotFile('random', bytes);
    const collection = `bench_rss_${Math.round(bytes / MIB)}m`;
    const target = `${collection}_restored`;
    await emu.addFromSnapshot(collection, snap.file, snap.sha256);
    for (const node of nodes)
      peaks.get(node)[bytes] = {
        backup: [],
        restore: [],
        backupMs: [],
        restoreMs: [],
        backupHeap: [],
        backupBuffers: [],
      };
    for (let run = 0; run < runs; run++) {
      for (const node of rotate(nodes, run)) {
        const p = peaks.get(node)[bytes];
        await settle();
        const out = path.join(DATA, `s3-out-${run}`);
        const b = await cliBackup(emu.url, out, collection, 1, node);
        p.backup.push(rssMiB(b.result));
        p.backupMs.push(b.result.ms);
        p.backupHeap.push(b.result.memory?.heapTotal ?? NaN);
        p.backupBuffers.push(b.result.memory?.arrayBuffers ?? NaN);
        await settle();
        const r = await cliRestore(emu.url, b.folder, `${collection}=${target}`, node);
        p.restore.push(rssMiB(r));
        p.restoreMs.push(r.ms);
        await dropCollection(emu, target);
        await rm(out, { recursive: true, force: true });
      }
    }
    await dropCollection(emu, collection);
    await dropFile('random', bytes);
  }
  const [small, big] = SIZES.rss;
  for (const node of nodes) {
    const p = peaks.get(node);
    for (const bytes of SIZES.rss) {
      const s = `3 ${tag(node)}peak RSS ${label(bytes)}`;
      rows.push(
        {
          scenario: s,
          label: 'CLI `backup`: peak RSS',
          values: p[bytes].backup,
          unit: 'MiB',
          target: { max: 110, text: '≤ 110 MiB' },
        },
        {
          scenario: s,
          label: 'CLI `restore`: peak RSS',
          values: p[bytes].restore,
          unit: 'MiB',
          target: { max: 110, text: '≤ 110 MiB' },
        },
        {
          scenario: s,
          label: 'CLI `backup`: of which V8 heap (peak heapTotal)',
          values: p[bytes].backupHeap,
          unit: 'MiB',
        },
        {
          scenario: s,
          label: 'CLI `backup`: of which array buffers (peak)',
          values: p[bytes].backupBuffers,
          unit: 'MiB',
        },
        { scenario: s, label: 'CLI `backup`: time', values: p[bytes].backupMs, unit: 'ms' },
        { scenario: s, label: 'CLI `restore`: time', values: p[bytes].restoreMs, unit: 'ms' },
      );
    }
    const s = `3 ${tag(node)}RSS ${label(big)} − ${label(small)}`;
    for (const op of ['backup', 'restore']) {
      rows.push({
        scenario: s,
        label: `CLI \`${op}\`: growth of peak RSS (median ${label(big)} − median ${label(small)})`,
        values: [median(p[big][op]) - median(p[small][op])],
        unit: 'MiB',
        target: { max: 16, text: '≤ 16 MiB' },
      });
    }
  }
}

async function scenario4() {
  const runs = runsFor(4);
  const { collections: count, delayMs, bytes } = SIZES.parallel;
  const emu = await startEmulatorProcess(path.join(DATA, 'emulator-slow'), { snapshotDelayMs: delayMs });
  try {
    const snap = await snapshotFile('random', bytes);
    const names = Array.from({ length: count }, (_, i) => `bench_par_${i}`);
    for (const name of names) await emu.addFromSnapshot(name, snap.file, snap.sha256);
    const times = { 1: [], 2: [], 4: [], seed: [] };
    for (let run = 0; run < runs; run++) {
      for (const variant of rotate(['1', '2', '4', 'seed'], run)) {
        await settle();
        const out = path.join(DATA, `s4-out-${run}-${variant}`);
        if (variant === 'seed') {
          // qdrant-backup.sh: one collection after the other, create the snapshot, curl -o it, no checksum.
          await mkdir(out, { recursive: true });
          const r = await shell(
            [
              `for c in ${names.join(' ')}; do`,
              `  name=$(curl -sf -X POST ${sq(emu.url)}/collections/$c/snapshots | sed -n 's/.*"name":"\\([^"]*\\)".*/\\1/p')`,
              `  curl -sf -o ${sq(out)}/$c.snapshot ${sq(emu.url)}/collections/$c/snapshots/"$name"`,
              'done',
            ].join('\n'),
          );
          times.seed.push(r.ms);
          for (const name of names) await emu.clearSnapshots(name);
        } else {
          const { result, manifest } = await cliBackup(emu.url, out, 'bench_par_*', Number(variant));
          if (manifest.collections.length !== count)
            throw new Error(`backed up ${manifest.collections.length} of ${count}`);
          times[variant].push(result.ms);
        }
        await rm(out, { recursive: true, force: true });
      }
    }
    const s = `4 ${count} collections, ${delayMs / 1000} s snapshot creation each`;
    rows.push(
      {
        scenario: s,
        label: 'seed: sequential `curl` (create, `curl -o`; no checksum)',
        values: times.seed,
        unit: 'ms',
      },
      { scenario: s, label: 'ours: CLI `backup --concurrency 1`', values: times[1], unit: 'ms' },
      { scenario: s, label: 'ours: CLI `backup --concurrency 2`', values: times[2], unit: 'ms' },
      { scenario: s, label: 'ours: CLI `backup --concurrency 4`', values: times[4], unit: 'ms' },
      {
        scenario: s,
        label: 'ratio concurrency 2 / concurrency 1',
        values: ratios(times[2], times[1]),
        unit: 'ratio',
      },
      {
        scenario: s,
        label: '**ratio concurrency 4 / concurrency 1**',
        values: ratios(times[4], times[1]),
        unit: 'ratio',
        target: { max: 0.35, text: '≤ 0.35' },
      },
      {
        scenario: s,
        label: 'ratio concurrency 4 / seed script',
        values: ratios(times[4], times.seed),
        unit: 'ratio',
      },
    );
  } finally {
    await emu.close();
  }
}

/** A JSON-layout collection made through the REST API from real-ish vectors and payloads. */
async function upsertCollection(emu, name, count) {
  await emu.rest('PUT', `/collections/${name}`, { vectors: { size: REALISH_DIM, distance: 'Cosine' } });
  let batch = [];
  for (const point of realishPoints(count, REALISH_DIM)) {
    batch.push(point);
    if (batch.length === 250) {
      await emu.rest('PUT', `/collections/${name}/points?wait=true`, { points: batch });
      batch = [];
    }
  }
  if (batch.length) await emu.rest('PUT', `/collections/${name}/points?wait=true`, { points: batch });
}

async function scenario5() {
  const runs = runsFor(5);
  const { random, realish, upsertPoints } = SIZES.artifact;
  requireDisk(3 * (random + realish), 'Scenario 5');
  const emu = await emulator();
  const svc = await startArtifactProcess(path.join(DATA, 'artifacts'));
  try {
    const rnd = await snapshotFile('random', random);
    const real = await snapshotFile('realish', realish);
    const sets = [
      { name: 'bench_art_random', title: `random floats, ${label(random)}` },
      { name: 'bench_art_realish', title: `real-ish embeddings (float32), ${label(realish)}` },
      {
        name: 'bench_art_upsert',
        title: `real-ish, ${upsertPoints} points × ${REALISH_DIM} upserted (emulator JSON layout)`,
      },
    ];
    await emu.addFromSnapshot(sets[0].name, rnd.file, rnd.sha256);
    await emu.addFromSnapshot(sets[1].name, real.file, real.sha256);
    const started = Date.now();
    await upsertCollection(emu, sets[2].name, upsertPoints);
    log(`upserted ${upsertPoints} points in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    let runId = 1000;
    const levels = [0, 1, 6];
    for (const set of sets) {
      const time = Object.fromEntries(levels.map((l) => [l, []]));
      const upload = Object.fromEntries(levels.map((l) => [l, []]));
      const size = Object.fromEntries(levels.map((l) => [l, []]));
      const rss = Object.fromEntries(levels.map((l) => [l, []]));
      let snapshotBytes = NaN;
      for (let run = 0; run < runs; run++) {
        for (const level of rotate(levels, run)) {
          await settle();
          const id = ++runId;
          const work = path.join(DATA, `s5-${id}`);
          const files = {
            output: path.join(work, 'output'),
            summary: path.join(work, 'summary'),
            state: path.join(work, 'state'),
          };
          await mkdir(path.join(work, 'runner-temp'), { recursive: true });
          for (const f of Object.values(files)) await writeFile(f, '');
          const env = {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? os.homedir(),
            RUNNER_TEMP: path.join(work, 'runner-temp'),
            GITHUB_OUTPUT: files.output,
            GITHUB_STEP_SUMMARY: files.summary,
            GITHUB_STATE: files.state,
            GITHUB_REPOSITORY: 'octo/repo',
            ...(await svc.env(id)),
            INPUT_MODE: 'backup',
            INPUT_URL: emu.url,
            INPUT_COLLECTIONS: set.name,
            INPUT_CONCURRENCY: '1',
            INPUT_PATH: path.join(work, 'backup'),
            'INPUT_COMPRESSION-LEVEL': String(level),
          };
          const r = await measure(NODE, [ACTION], { env, cwd: work });
          if (/^::error::/m.test(r.stdout)) throw new Error(`the action failed:\n${r.stdout.slice(-2000)}`);
          const artifact = (await svc.artifacts()).at(-1);
          if (!artifact?.finalized) throw new Error('the action uploaded no finalized artifact');
          const manifest = JSON.parse(await readFile(path.join(work, 'backup', 'manifest.json'), 'utf8'));
          snapshotBytes = manifest.collections[0].files[0].size;
          time[level].push(r.ms);
          rss[level].push(rssMiB(r));
          // @actions/artifact starts with "Artifact name is valid!"; the action ends with "Uploaded artifact".
          const uploadStart = lineTime(r, /^Artifact name is valid!|^Uploading artifact/);
          const uploaded = lineTime(r, /^Uploaded artifact '/);
          upload[level].push(
            uploadStart !== undefined && uploaded !== undefined ? uploaded - uploadStart : NaN,
          );
          size[level].push(artifact.blobSize);
          await rm(artifact.zipPath, { force: true });
          await rm(work, { recursive: true, force: true });
        }
      }
      const s = `5 artifact: ${set.title}`;
      rows.push({ scenario: s, label: 'snapshot file', values: [snapshotBytes], unit: 'bytes' });
      for (const level of levels) {
        rows.push(
          {
            scenario: s,
            label: `level ${level}: action run (backup + upload)`,
            values: time[level],
            unit: 'ms',
          },
          { scenario: s, label: `level ${level}: of which zip + upload`, values: upload[level], unit: 'ms' },
          { scenario: s, label: `level ${level}: artifact size`, values: size[level], unit: 'bytes' },
          { scenario: s, label: `level ${level}: peak RSS of the action`, values: rss[level], unit: 'MiB' },
        );
        if (level !== 0)
          rows.push(
            {
              scenario: s,
              label: `level ${level}: size / level 0 size`,
              values: ratios(size[level], size[0]),
              unit: 'ratio',
            },
            {
              scenario: s,
              label: `level ${level}: time / level 0 time`,
              values: ratios(time[level], time[0]),
              unit: 'ratio',
            },
          );
      }
    }
  } finally {
    await svc.close();
  }
}

// ------------------------------------------------------------------------------------------------ main

const SCENARIOS = [
  [1, 'backup of one collection vs curl -o + sha256sum', scenario1],
  [2, 'restore (upload) vs curl -F', scenario2],
  [3, 'peak RSS at two snapshot sizes', scenario3],
  [4, 'collections in parallel', scenario4],
  [5, 'artifact upload at compression levels 0, 1, 6', scenario5],
];

async function cleanup() {
  await mainEmu?.close().catch(() => {});
  mainEmu = undefined;
  if (!flags.keep) await rm(DATA, { recursive: true, force: true });
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    await cleanup();
    process.exit(130);
  });
}

for (const bundle of ['cli', 'main']) {
  if (!existsSync(path.join(ROOT, 'dist', bundle, 'index.js'))) {
    console.error(`dist/${bundle}/index.js is missing: run npm run bundle first.`);
    process.exit(1);
  }
}
await mkdir(DATA, { recursive: true });
for (const bundle of ['cli', 'main']) {
  await cp(path.join(ROOT, 'dist', bundle), path.join(DATA, 'dist', bundle), { recursive: true });
}
const machine = machineLine();
console.log(machine);
if (!hasGnuTime())
  notes.push('Peak RSS polled from /proc/<pid>/status VmHWM (no GNU time at /usr/bin/time).');
const began = Date.now();
try {
  for (const [n, title, fn] of SCENARIOS) {
    if (!only.has(n)) continue;
    const started = Date.now();
    log(`scenario ${n}: ${title} (${runsFor(n)} run(s))`);
    try {
      await fn();
      log(`scenario ${n} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } catch (error) {
      failures.push(n);
      console.error(`[bench] scenario ${n} crashed: ${error?.stack ?? error}`);
    }
  }
} finally {
  await cleanup();
}

console.log('');
console.log(`${machine}`);
console.log('');
console.log(markdownTable(rows, !SMOKE));
console.log('');
console.log(
  `Medians of ${flags.runs ?? (SMOKE ? 1 : '5 (scenarios 1-2) or 3 (3-5)')} run(s); ratios are medians of run-by-run ratios of commands measured back to back. Total ${((Date.now() - began) / 1000).toFixed(0)} s.`,
);
const SIDES = {
  1: 'Scenario 1: ours is the whole CLI process (start, version, list, info, exact count before and after, create the snapshot, stream it to disk hashing it in the same pass, delete it, write the manifest); the baseline is `curl -s -o FILE URL && sha256sum FILE` on a snapshot created once through the REST API and kept, and, second row, the same with the snapshot created (POST) and deleted (DELETE) by curl as the CLI does.',
  2: "Scenario 2: ours is the whole CLI process (start, read the manifest, check every file's size and SHA-256, upload with priority=snapshot and checksum, delete the uploaded copy the server keeps); the baseline is one `curl -F snapshot=@FILE` to the same upload URL (with checksum too). Both restore into a collection that does not exist yet.",
  3: 'Scenario 3: peak RSS ("Maximum resident set size" of GNU time) of the CLI backup and restore processes; the emulator runs in another process.',
  4: "Scenario 4: the emulator makes every snapshot creation take the delay; the seed script is qdrant-backup.sh's loop (POST, curl -o, next collection).",
  5: 'Scenario 5: dist/main/index.js run as the runner does (INPUT_*), uploading to the local artifact service; "zip + upload" runs from @actions/artifact\'s first line to the action\'s "Uploaded artifact" line. The upserted collection is stored by the emulator as JSON text (points.jsonl), which compresses far better than Qdrant\'s binary segments: the float32 rows are the proxy for a real Qdrant snapshot.',
};
for (const [n, text] of Object.entries(SIDES)) if (only.has(Number(n))) console.log(`\n${text}`);
for (const note of notes) console.log(note);
const missed = rows.filter((r) => verdict(r, !SMOKE) === '**missed**');
if (!SMOKE && missed.length)
  console.log(
    `\nTargets missed: ${missed.map((r) => `${r.scenario}: ${r.label.replace(/\*/g, '')}`).join('; ')}`,
  );
if (failures.length) {
  console.error(`\nScenario(s) ${failures.join(', ')} crashed.`);
  process.exit(1);
}
