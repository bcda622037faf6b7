// node bench/s3.mjs: uploads to an S3-compatible store (versitygw 1.8.0, posix backend) against the
// anchors, as figures and ratios.
//
//   node bench/s3.mjs [--smoke] [--runs N] [--keep]
//
// 1. Peak RSS of an upload of a backup holding one 256 MiB file and one holding a 2 GiB file (the storage
//    module bundled by ncc, in a process of its own): the 2 GiB one must stay within 16 MiB of the other.
// 2. Throughput of the 2 GiB upload against `curl --upload-file` (one signed PUT, no multipart, no
//    checksum) and `aws s3 cp` (when the AWS CLI is installed) of the same file to the same server, run by
//    run in rotating order; the ratio is ours / curl in time.
// --smoke runs everything once at 4 and 32 MiB and checks no targets.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { measure } from './lib/proc.mjs';
import { ROOT } from './lib/services.mjs';
import { findVersitygw, startVersitygw } from './lib/s3gw.mjs';
import { markdownTable, median } from './lib/stats.mjs';

const MIB = 1024 * 1024;
const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});
const SMOKE = flags.smoke;
const RUNS = flags.runs ? Math.max(1, Number(flags.runs)) : SMOKE ? 1 : 3;
const SIZES = SMOKE ? { small: 4 * MIB, large: 32 * MIB } : { small: 256 * MIB, large: 2048 * MIB };
const DATA = path.join(ROOT, '.bench-data', `s3-${process.pid}`);
const BUCKET = 'bench';
const KEYS = { access: 'bench-access-key', secret: 'bench-secret-key-0123456789' };

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const binary = findVersitygw();
if (!binary) {
  console.log('S3 benchmark skipped: no versitygw (set VERSITYGW_BINARY or provide ../shared/s3).');
  process.exit(0);
}
const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

/** A backup folder with one random file of `bytes` and its manifest. */
async function makeBackup(name, bytes) {
  const folder = path.join(DATA, 'backups', name);
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'c.snapshot');
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(MIB);
  const fd = openSync(file, 'w');
  for (let written = 0; written < bytes; written += MIB) {
    randomFillSync(chunk);
    const part = chunk.subarray(0, Math.min(MIB, bytes - written));
    hash.update(part);
    writeSync(fd, part);
  }
  closeSync(fd);
  const sha256 = hash.digest('hex');
  const manifest = {
    format: 'qdrant-snapshot-manifest',
    version: 1,
    created_at: new Date().toISOString(),
    qdrant_version: '1.19.0',
    complete: true,
    encryption: null,
    collections: [
      {
        name: 'c',
        file: 'c.snapshot',
        size: bytes,
        sha256,
        points: 0,
        config: {},
        aliases: [],
        encrypted: false,
        snapshot_size: bytes,
        snapshot_sha256: sha256,
      },
    ],
    failed: [],
  };
  await writeFile(path.join(folder, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { folder, file, bytes };
}

const sync = () => spawnSync('sync');

async function main() {
  mkdirSync(DATA, { recursive: true });
  const bundle = path.join(DATA, 'bundle');
  execFileSync('npx', ['ncc', 'build', 'bench/lib/s3-upload.ts', '-o', bundle, '--quiet'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const storeDir = path.join(DATA, 'store');
  mkdirSync(storeDir, { recursive: true });
  const server = await startVersitygw(binary, storeDir, KEYS);
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: KEYS.access,
    AWS_SECRET_ACCESS_KEY: KEYS.secret,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  try {
    const client = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: KEYS.access, secretAccessKey: KEYS.secret },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();

    const small = await makeBackup('small', SIZES.small);
    const large = await makeBackup('large', SIZES.large);
    const clear = (prefix) => rm(path.join(storeDir, BUCKET, prefix), { recursive: true, force: true });

    const ours = async (backup, prefix) => {
      sync();
      const r = await measure(
        process.execPath,
        [path.join(bundle, 'index.js'), backup.folder, `s3://${BUCKET}/${prefix}`, server.endpoint],
        { env },
      );
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
      if (!out.checksums.every((c) => c === 'sha256'))
        throw new Error(`checksums not sent: ${out.checksums}`);
      await clear(prefix);
      return { ms: r.ms, rssMiB: r.maxRssKiB / 1024 };
    };
    const curl = async (backup, prefix) => {
      sync();
      const r = await measure(
        'curl',
        [
          '-sS',
          '--fail',
          '-o',
          '/dev/null',
          '--aws-sigv4',
          'aws:amz:us-east-1:s3',
          '--user',
          `${KEYS.access}:${KEYS.secret}`,
          '-H',
          'x-amz-content-sha256: UNSIGNED-PAYLOAD',
          '--upload-file',
          backup.file,
          `${server.endpoint}/${BUCKET}/${prefix}/c.snapshot`,
        ],
        { env },
      );
      await clear(prefix);
      return { ms: r.ms, rssMiB: r.maxRssKiB / 1024 };
    };
    const aws = async (backup, prefix) => {
      sync();
      const r = await measure(
        'aws',
        [
          '--endpoint-url',
          server.endpoint,
          's3',
          'cp',
          '--only-show-errors',
          backup.file,
          `s3://${BUCKET}/${prefix}/c.snapshot`,
        ],
        { env },
      );
      await clear(prefix);
      return { ms: r.ms, rssMiB: r.maxRssKiB / 1024 };
    };

    const rss = { small: [], large: [] };
    const time = { ours: [], curl: [], aws: [] };
    const ratio = { curl: [], aws: [] };
    for (let run = 0; run < RUNS; run++) {
      rss.small.push((await ours(small, `rss-small-${run}`)).rssMiB);
      // The 2 GiB upload counts for both scenarios; the anchors run around it in rotating order.
      const order = ['ours', 'curl', ...(hasAws ? ['aws'] : [])];
      for (let i = 0; i < run % order.length; i++) order.push(order.shift());
      const results = {};
      for (const tool of order) {
        const measured = await { ours, curl, aws }[tool](large, `${tool}-${run}`);
        results[tool] = measured;
        time[tool].push(measured.ms);
        if (tool === 'ours') rss.large.push(measured.rssMiB);
        console.error(
          `run ${run + 1}/${RUNS} ${tool}: ${(measured.ms / 1000).toFixed(2)} s, peak RSS ${measured.rssMiB.toFixed(1)} MiB`,
        );
      }
      ratio.curl.push(results.ours.ms / results.curl.ms);
      if (hasAws) ratio.aws.push(results.ours.ms / results.aws.ms);
    }

    const mibps = (ms) => SIZES.large / MIB / (ms / 1000);
    const delta = rss.large.map((v, i) => v - rss.small[i]);
    const label = (bytes) => (bytes >= 1024 * MIB ? `${bytes / 1024 / MIB} GiB` : `${bytes / MIB} MiB`);
    const rows = [
      { scenario: 'S1', label: `peak RSS, upload of ${label(SIZES.small)}`, values: rss.small, unit: 'MiB' },
      { scenario: 'S1', label: `peak RSS, upload of ${label(SIZES.large)}`, values: rss.large, unit: 'MiB' },
      {
        scenario: 'S1',
        label: `peak RSS ${label(SIZES.large)} − ${label(SIZES.small)} (same run)`,
        values: delta,
        unit: 'MiB',
        target: { max: 16, text: '≤ 16 MiB' },
      },
      {
        scenario: 'S2',
        label: `ours: upload of ${label(SIZES.large)} (multipart, SHA-256 checked and sent)`,
        values: time.ours.map(mibps),
        unit: 'MiB/s',
      },
      {
        scenario: 'S2',
        label: 'curl --upload-file (one PUT, unsigned payload)',
        values: time.curl.map(mibps),
        unit: 'MiB/s',
      },
      ...(hasAws
        ? [
            {
              scenario: 'S2',
              label: 'aws s3 cp (AWS CLI v1, multipart)',
              values: time.aws.map(mibps),
              unit: 'MiB/s',
            },
          ]
        : []),
      { scenario: 'S2', label: 'time ours / curl (same run)', values: ratio.curl, unit: 'ratio' },
      ...(hasAws
        ? [{ scenario: 'S2', label: 'time ours / aws s3 cp (same run)', values: ratio.aws, unit: 'ratio' }]
        : []),
    ];
    const cpu = spawnSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], {
      encoding: 'utf8',
    }).stdout.trim();
    console.log(
      `\nS3 uploads to versitygw 1.8.0 (posix backend, loopback) · Node ${process.version} · ${cpu} · ${RUNS} run(s)\n`,
    );
    console.log(markdownTable(rows, !SMOKE));
    console.log(
      `\nMedian ours ${(median(time.ours) / 1000).toFixed(2)} s, curl ${(median(time.curl) / 1000).toFixed(2)} s${hasAws ? `, aws ${(median(time.aws) / 1000).toFixed(2)} s` : ''} for ${label(SIZES.large)}.`,
    );
    const missed = !SMOKE && median(delta) > 16;
    if (missed) process.exitCode = 1;
  } finally {
    await server.stop();
    if (!flags.keep) await rm(DATA, { recursive: true, force: true });
  }
}

await main();
