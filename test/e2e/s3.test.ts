// Off-site backups end to end: the action and the CLI (bundled from src/, run as processes) against a real
// S3-compatible server (versitygw) and a Qdrant target.
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type Manifest } from '../../src/backup-format/manifest.js';
import { bundled } from '../helpers/bundles.js';
import { runAction } from '../helpers/run-action.js';
import {
  ACCESS_KEY,
  SECRET_KEY,
  startS3Server,
  versitygwMissing,
  type S3TestServer,
} from '../helpers/s3-server.js';
import { SHARED_QDRANT, allPoints, seedCollections, startTarget, type Target } from '../helpers/target.js';

const SESSION_TOKEN = 'test-session-token-0c9e7d61aa';

let s3: S3TestServer;
let source: Target;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let before: Map<string, unknown[]>;

/** The AWS environment a workflow step gets from configure-aws-credentials (or secrets). */
const awsEnv = () => ({
  AWS_ACCESS_KEY_ID: ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

const s3Inputs = (prefix: string) => ({
  's3-url': `s3://${s3.bucket}/${prefix}`,
  's3-endpoint': s3.endpoint,
});

async function keysUnder(prefix: string): Promise<string[]> {
  const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` }));
  return (listing.Contents ?? []).map((object) => object.Key!).sort();
}

/** The backup folders under a prefix, with their manifests (read from the store's files). */
async function backupsUnder(prefix: string): Promise<Map<string, Manifest | undefined>> {
  const folders = new Map<string, Manifest | undefined>();
  for (const key of await keysUnder(prefix)) {
    const folder = key.slice(prefix.length + 1).split('/')[0]!;
    if (!folders.has(folder)) folders.set(folder, undefined);
    if (key.endsWith('/manifest.json')) {
      folders.set(folder, parseManifest(await readFile(s3.objectPath(key), 'utf8')));
    }
  }
  return folders;
}

async function sha256OfObject(key: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(s3.objectPath(key)))
    .digest('hex');
}

/** A Qdrant to restore into that holds none of the source's collections. */
async function freshTarget(): Promise<Target> {
  if (!SHARED_QDRANT) return startTarget();
  // One shared server: make room by dropping what the backup holds (each test restores it again).
  for (const name of Object.values(seeded.names)) await source.call('DELETE', `/collections/${name}`);
  return source;
}

/** An HTTP server standing in for Qdrant that counts the requests it gets. */
async function countingServer() {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Each secret is masked (::add-mask::) and appears nowhere else: log, errors, outputs, summary. */
function expectMaskedOnly(result: Awaited<ReturnType<typeof runAction>>, secrets: string[]) {
  const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
  const shown = [
    result.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    result.stderr,
    result.files.output,
    result.files.summary,
  ].join('\n');
  for (const secret of secrets) {
    expect(masks).toContain(`::add-mask::${secret}`);
    expect(shown).not.toContain(secret);
  }
}

const skip = versitygwMissing !== undefined;

describe.skipIf(skip)('off-site backups to S3 (versitygw, action and CLI as processes)', () => {
  beforeAll(async () => {
    s3 = await startS3Server();
    source = await startTarget();
    seeded = await seedCollections(source);
    before = new Map();
    for (const name of Object.values(seeded.names)) before.set(name, await allPoints(source, name));
  });

  afterAll(async () => {
    await source?.close();
    await s3?.stop();
  });

  it('three scheduled backups with keep: 2 leave the two newest complete backups, every object matching its manifest', async () => {
    const uris: string[] = [];
    for (let run = 0; run < 3; run++) {
      const started = Date.now();
      const result = await runAction(
        {
          mode: 'backup',
          url: source.url,
          'api-key': source.apiKey ?? '',
          collections: `${source.prefix}*`,
          artifact: 'false',
          keep: '2',
          ...s3Inputs('nightly'),
        },
        { env: awsEnv() },
      );
      expect(result.errors).toEqual([]);
      expect(result.code).toBe(0);
      const uri = result.outputs['s3-uri']!;
      expect(uri).toMatch(
        new RegExp(`^s3://${s3.bucket}/nightly/qdrant-snapshots-\\d{4}-\\d{2}-\\d{2}-\\d{6}/$`),
      );
      uris.push(uri);
      expect(result.stdout).toContain(`Stored ${uri}`);
      expect(result.summary).toContain(uri);
      if (run === 2) {
        expect(result.stdout).toContain(`Retention deleted ${uris[0]}`);
        expect(result.stdout).toContain('beyond the 2 newest (keep)');
        expect(result.summary).toContain(`Retention deleted 1 older backup(s): ${uris[0]}`);
      } else {
        expect(result.stdout).toContain('Retention deleted nothing');
      }
      expectMaskedOnly(result, [SECRET_KEY]);
      // Backups are named by the second they were made in: the next one gets a name of its own.
      await sleep(Math.max(0, 1100 - (Date.now() - started)));
    }
    expect(new Set(uris).size).toBe(3);

    const backups = await backupsUnder('nightly');
    const names = uris.map((uri) => uri.split('/').at(-2)!);
    expect([...backups.keys()].sort()).toEqual([names[1], names[2]].sort());
    for (const [folder, manifest] of backups) {
      expect(manifest, `${folder} has its manifest.json`).toBeDefined();
      expect(manifest!.complete).toBe(true);
      const files = manifest!.collections.flatMap((c) => c.files);
      expect(manifest!.collections.map((c) => c.name).sort()).toEqual(Object.values(seeded.names).sort());
      expect((await keysUnder(`nightly/${folder}`)).sort()).toEqual(
        [...files.map((f) => `nightly/${folder}/${f.file}`), `nightly/${folder}/manifest.json`].sort(),
      );
      for (const file of files) {
        expect(await sha256OfObject(`nightly/${folder}/${file.file}`), file.file).toBe(file.sha256);
      }
    }
  });

  it('restores the newest complete backup under the prefix into a fresh Qdrant and verifies it', async () => {
    const dest = await freshTarget();
    try {
      const result = await runAction(
        { mode: 'restore', url: dest.url, 'api-key': dest.apiKey ?? '', ...s3Inputs('nightly') },
        { env: awsEnv() },
      );
      expect(result.errors).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.outputs.verified).toBe('true');
      const newest = [...(await backupsUnder('nightly')).keys()].sort().at(-1)!;
      expect(result.stdout).toContain(`Downloading s3://${s3.bucket}/nightly/${newest}/`);
      expect(result.stdout).toContain('every size and SHA-256 matches the manifest');
      expect(result.summary).toContain(`s3://${s3.bucket}/nightly/${newest}/`);
      for (const [name, points] of before) expect(await allPoints(dest, name)).toEqual(points);
    } finally {
      if (dest !== source) await dest.close();
    }
  });

  it('a backup whose manifest.json never arrived is passed over: the restore takes the previous complete one', async () => {
    const folders = [...(await backupsUnder('nightly')).keys()].sort();
    const [older, newest] = folders;
    // An upload interrupted before its manifest: the newest folder without manifest.json.
    const manifestKey = `nightly/${newest}/manifest.json`;
    const manifestText = await readFile(s3.objectPath(manifestKey), 'utf8');
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: manifestKey }));
    const dest = await freshTarget();
    try {
      const result = await runAction(
        { mode: 'restore', url: dest.url, 'api-key': dest.apiKey ?? '', ...s3Inputs('nightly') },
        { env: awsEnv() },
      );
      expect(result.errors).toEqual([]);
      expect(result.stdout).toContain(`Passed over s3://${s3.bucket}/nightly/${newest}/`);
      expect(result.stdout).toContain(`Downloading s3://${s3.bucket}/nightly/${older}/`);
      expect(result.outputs.verified).toBe('true');
    } finally {
      if (dest !== source) await dest.close();
      await s3.client.send(
        new (await import('@aws-sdk/client-s3')).PutObjectCommand({
          Bucket: s3.bucket,
          Key: manifestKey,
          Body: manifestText,
        }),
      );
    }
  });

  it('one byte changed in the bucket fails the restore before any request to Qdrant', async () => {
    const newest = [...(await backupsUnder('nightly')).entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .at(-1)!;
    const file = newest[1]!.collections[0]!.files[0]!.file;
    const stored = s3.objectPath(`nightly/${newest[0]}/${file}`);
    const bytes = await readFile(stored);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(stored, bytes);
    const qdrant = await countingServer();
    try {
      const result = await runAction(
        { mode: 'restore', url: qdrant.url, ...s3Inputs('nightly') },
        { env: awsEnv() },
      );
      expect(result.code).toBe(1);
      expect(result.errors[0]).toContain(`s3://${s3.bucket}/nightly/${newest[0]}/${file}`);
      expect(result.errors[0]).toContain('nothing was sent to Qdrant');
      expect(qdrant.requests()).toBe(0);
    } finally {
      await qdrant.close();
    }
  });

  it('masks AWS_SESSION_TOKEN, and a refused token fails the upload naming the AWS variables', async () => {
    const result = await runAction(
      {
        mode: 'backup',
        url: source.url,
        'api-key': source.apiKey ?? '',
        collections: `${source.prefix}*`,
        artifact: 'false',
        ...s3Inputs('tokens'),
      },
      { env: { ...awsEnv(), AWS_SESSION_TOKEN: SESSION_TOKEN } },
    );
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain('refused the credentials');
    expect(result.errors[0]).toContain('AWS_SESSION_TOKEN');
    expectMaskedOnly(result, [SECRET_KEY, SESSION_TOKEN]);
    expect(await keysUnder('tokens')).toEqual([]);
  });

  it('the CLI backs up --to a bucket (--keep 14), lists it and restores --from it', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'cli-s3-home-'));
    const cli = async (args: string[], url = source.url) => {
      const child = spawn(process.execPath, [bundled('cli'), ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          QDRANT_URL: url,
          ...(source.apiKey ? { QDRANT_API_KEY: source.apiKey } : {}),
          ...awsEnv(),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      return { code, stdout, stderr };
    };
    const to = `s3://${s3.bucket}/laptop`;
    const backup = await cli([
      'backup',
      '--collections',
      `${source.prefix}*`,
      '--to',
      to,
      '--keep',
      '14',
      '--s3-endpoint',
      s3.endpoint,
    ]);
    expect(backup.stderr).not.toContain('error');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(
      new RegExp(`Stored in S3: ${to}/qdrant-snapshots-\\d{4}-\\d{2}-\\d{2}-\\d{6}/`),
    );
    const [folder] = [...(await backupsUnder('laptop')).keys()];
    expect(folder).toBeDefined();

    const list = await cli(['list', to, '--s3-endpoint', s3.endpoint]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${to}/${folder}/`);
    expect(list.stdout).toContain(`${seeded.names.dense}: 30 points`);

    // A malformed URL is named by the flag the user typed.
    const wrong = await cli(['restore', '--from', 's3:/nope', '--s3-endpoint', s3.endpoint]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: --from "s3:\/nope" is not an s3:\/\/ URL/);

    const dest = await freshTarget();
    try {
      const restore = await cli(['restore', '--from', to, '--s3-endpoint', s3.endpoint], dest.url);
      expect(restore.stderr).not.toContain('error');
      expect(restore.code).toBe(0);
      for (const [name, points] of before) expect(await allPoints(dest, name)).toEqual(points);
    } finally {
      if (dest !== source) await dest.close();
    }
  });
});
