// Upload, list, choose, download, presign and retention against a real S3-compatible server (versitygw).
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  S3Error,
  applyS3Retention,
  chooseS3Backup,
  connectS3,
  downloadS3Backup,
  listS3Backups,
  presignBackupUrls,
  uploadBackupToS3,
  type S3Connection,
} from '../../src/storage/s3.js';
import { makeBackupFolder } from '../helpers/backup-folder.js';
import {
  ACCESS_KEY,
  SECRET_KEY,
  startS3Server,
  versitygwMissing,
  type S3TestServer,
} from '../helpers/s3-server.js';

const MIB = 1024 * 1024;
const DAY = 24 * 3600 * 1000;

async function keysUnder(server: S3TestServer, prefix: string): Promise<string[]> {
  const listing = await server.client.send(
    new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }),
  );
  return (listing.Contents ?? []).map((object) => object.Key!).sort();
}

async function sha256Of(server: S3TestServer, key: string): Promise<string> {
  const object = await server.client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
  return createHash('sha256')
    .update(await object.Body!.transformToByteArray())
    .digest('hex');
}

describe.skipIf(versitygwMissing !== undefined)('S3 storage against versitygw', () => {
  let server: S3TestServer;
  let work: string;
  const connections: S3Connection[] = [];
  const connect = (url: string, extra = {}) => {
    const conn = connectS3(server.settings(url, { ...extra }));
    connections.push(conn);
    return conn;
  };

  beforeAll(async () => {
    server = await startS3Server();
    work = await mkdtemp(path.join(os.tmpdir(), 's3-store-'));
  });
  afterAll(async () => {
    for (const conn of connections) conn.destroy();
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('uploads a backup (multipart and single part), lists it, chooses it and downloads it with every SHA-256 matched', async () => {
    const { folder, manifest } = await makeBackupFolder(
      path.join(work, 'local'),
      'qdrant-2026-01-01T00-00-00',
      [
        { name: 'big', bytes: 13 * MIB + 123 }, // three parts of 5 MiB
        { name: 'small', bytes: 1000 },
        { name: 'empty', bytes: 0 },
      ],
    );
    const conn = connect(`s3://${server.bucket}/roundtrip`);
    const result = await uploadBackupToS3(conn, folder, { partSize: 5 * MIB });
    expect(result.uri).toBe(`s3://${server.bucket}/roundtrip/qdrant-2026-01-01T00-00-00/`);
    expect(result.objects.map((o) => o.key)).toEqual([
      'roundtrip/qdrant-2026-01-01T00-00-00/big.snapshot',
      'roundtrip/qdrant-2026-01-01T00-00-00/small.snapshot',
      'roundtrip/qdrant-2026-01-01T00-00-00/empty.snapshot',
      'roundtrip/qdrant-2026-01-01T00-00-00/manifest.json',
    ]);
    // versitygw implements S3's SHA-256 checksums: every object went with one.
    expect(result.objects.every((o) => o.checksum === 'sha256')).toBe(true);
    for (const entry of manifest.collections.flatMap((c) => c.files)) {
      expect(await sha256Of(server, `roundtrip/qdrant-2026-01-01T00-00-00/${entry.file}`)).toBe(entry.sha256);
    }
    const stored = await server.client.send(
      new GetObjectCommand({
        Bucket: server.bucket,
        Key: 'roundtrip/qdrant-2026-01-01T00-00-00/manifest.json',
      }),
    );
    expect(await stored.Body!.transformToString()).toBe(
      await readFile(path.join(folder, 'manifest.json'), 'utf8'),
    );

    const { backups } = await listS3Backups(conn);
    expect(backups.map((b) => [b.name, b.kind])).toEqual([['qdrant-2026-01-01T00-00-00', 'complete']]);

    const choice = await chooseS3Backup(conn);
    expect(choice.backup.name).toBe('qdrant-2026-01-01T00-00-00');
    const target = path.join(work, 'restore-1');
    const downloaded = await downloadS3Backup(conn, choice.backup, target);
    expect(downloaded.folder).toBe(target);
    expect((await readdir(target)).sort()).toEqual([
      'big.snapshot',
      'empty.snapshot',
      'manifest.json',
      'small.snapshot',
    ]);
    for (const entry of manifest.collections.flatMap((c) => c.files)) {
      const bytes = await readFile(path.join(target, entry.file));
      expect(bytes.length).toBe(entry.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
    }

    // s3-url naming the backup itself chooses it too.
    const one = await chooseS3Backup(connect(`s3://${server.bucket}/roundtrip/qdrant-2026-01-01T00-00-00/`));
    expect(one.backup.uri).toBe(result.uri);
    expect(one.backup.manifest).toEqual(manifest);

    // A second upload under the same name would overwrite a complete backup: refused, nothing changed.
    await expect(uploadBackupToS3(conn, folder)).rejects.toThrow(/already holds a complete backup/);
  });

  it('refuses a local file that does not match its manifest, and stores nothing under its name', async () => {
    const { folder } = await makeBackupFolder(path.join(work, 'local'), 'altered', [
      { name: 'c', bytes: 6 * MIB },
    ]);
    const file = await open(path.join(folder, 'c.snapshot'), 'r+');
    await file.write(Buffer.from([0xff]), 0, 1, 3 * MIB);
    await file.close();
    const conn = connect(`s3://${server.bucket}/altered`);
    const error = await uploadBackupToS3(conn, folder, { partSize: 5 * MIB, retryDelayMs: 10 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(S3Error);
    expect(error.message).toMatch(
      /c\.snapshot \(collection c\) has .* SHA-256 [0-9a-f]{64} on disk; the manifest records/,
    );
    expect(error.message).toMatch(/is incomplete: manifest.json was not written/);
    expect(await keysUnder(server, 'altered/')).toEqual([]);
  });

  it('keeps the two newest of three backups with keep 2, every remaining object matching its manifest', async () => {
    const conn = connect(`s3://${server.bucket}/nightly`);
    const start = Date.parse('2026-03-01T02:00:00Z');
    const written = [];
    for (let day = 0; day < 3; day++) {
      const name = `qdrant-2026-03-0${day + 1}`;
      const { folder } = await makeBackupFolder(
        path.join(work, 'nightly'),
        name,
        [
          { name: 'articles', bytes: 3000 + day },
          { name: 'users', bytes: 2000 + day },
        ],
        new Date(start + day * DAY),
      );
      const result = await uploadBackupToS3(conn, folder);
      written.push(result);
      const report = await applyS3Retention(conn, {
        keep: 2,
        keepDays: 0,
        justWritten: name,
        now: new Date(start + day * DAY + 3600_000),
      });
      expect(report.failed).toEqual([]);
      if (day < 2) expect(report.deleted).toEqual([]);
      else {
        expect(report.deleted.map((d) => [d.name, d.objects])).toEqual([['qdrant-2026-03-01', 3]]);
        expect(report.deleted[0]!.reason).toMatch(/beyond the 2 newest/);
      }
    }
    const { backups } = await listS3Backups(conn);
    expect(backups.map((b) => b.name)).toEqual(['qdrant-2026-03-03', 'qdrant-2026-03-02']);
    expect(await keysUnder(server, 'nightly/qdrant-2026-03-01/')).toEqual([]);
    for (const backup of backups) {
      if (backup.kind !== 'complete') throw new Error(`${backup.name} is ${backup.kind}`);
      for (const entry of backup.manifest.collections.flatMap((c) => c.files)) {
        expect(await sha256Of(server, `${backup.key}/${entry.file}`)).toBe(entry.sha256);
      }
    }
  });

  it('never chooses an interrupted upload, and retention removes it once it is older than a day', async () => {
    const conn = connect(`s3://${server.bucket}/interrupted`);
    const good = await makeBackupFolder(
      path.join(work, 'interrupted'),
      'backup-1',
      [{ name: 'a', bytes: 4000 }],
      new Date(Date.now() - 3600_000),
    );
    await uploadBackupToS3(conn, good.folder);
    // The next backup stopped after its first object: no manifest.json.
    await server.client.send(
      new PutObjectCommand({
        Bucket: server.bucket,
        Key: 'interrupted/backup-2/a.snapshot',
        Body: Buffer.alloc(100, 1),
      }),
    );
    const choice = await chooseS3Backup(conn);
    expect(choice.backup.name).toBe('backup-1');
    expect(choice.skipped.map((s) => [s.name, s.kind])).toEqual([['backup-2', 'incomplete']]);

    // The following backup's retention, the same day: the leftover may still be uploading, so it stays.
    const third = await makeBackupFolder(path.join(work, 'interrupted'), 'backup-3', [
      { name: 'a', bytes: 4000 },
    ]);
    await uploadBackupToS3(conn, third.folder);
    const sameDay = await applyS3Retention(conn, { keep: 5, keepDays: 0, justWritten: 'backup-3' });
    expect(sameDay.deleted).toEqual([]);
    expect(sameDay.kept.find((k) => k.name === 'backup-2')?.reason).toMatch(/may still be running/);

    // Other data under the same prefix is no backup: never touched, however old.
    await server.client.send(
      new PutObjectCommand({ Bucket: server.bucket, Key: 'interrupted/notes/readme.txt', Body: 'mine' }),
    );

    // Two days later it is abandoned: removed, and the complete backups are untouched.
    const later = await applyS3Retention(conn, {
      keep: 5,
      keepDays: 0,
      justWritten: 'backup-3',
      now: new Date(Date.now() + 2 * DAY),
    });
    expect(later.deleted.map((d) => [d.name, d.kind])).toEqual([['backup-2', 'incomplete']]);
    expect(later.deleted[0]!.reason).toMatch(/abandoned upload/);
    expect(later.kept.find((k) => k.name === 'notes')).toMatchObject({ kind: 'foreign' });
    expect(await keysUnder(server, 'interrupted/')).toEqual([
      'interrupted/backup-1/a.snapshot',
      'interrupted/backup-1/manifest.json',
      'interrupted/backup-3/a.snapshot',
      'interrupted/backup-3/manifest.json',
      'interrupted/notes/readme.txt',
    ]);
  });

  it('refuses retention unless the backup just written is complete, deleting nothing', async () => {
    const conn = connect(`s3://${server.bucket}/interrupted`);
    await expect(
      applyS3Retention(conn, { keep: 1, keepDays: 0, justWritten: 'no-such-backup' }),
    ).rejects.toThrow(/Retention runs only after a complete backup.*nothing was deleted/);
    expect((await listS3Backups(conn)).backups.map((b) => `${b.name} ${b.kind}`).sort()).toEqual([
      'backup-1 complete',
      'backup-3 complete',
      'notes foreign',
    ]);
  });

  it('fails the download of an object changed by one byte in the bucket, naming it, before returning anything', async () => {
    const conn = connect(`s3://${server.bucket}/tampered`);
    const { folder } = await makeBackupFolder(path.join(work, 'tampered'), 'backup', [
      { name: 'first', bytes: 5000 },
      { name: 'second', bytes: 7 * MIB },
    ]);
    await uploadBackupToS3(conn, folder, { partSize: 5 * MIB });
    const onDisk = await open(server.objectPath('tampered/backup/second.snapshot'), 'r+');
    const byte = Buffer.alloc(1);
    await onDisk.read(byte, 0, 1, 4242);
    await onDisk.write(Buffer.from([byte[0]! ^ 0x01]), 0, 1, 4242);
    await onDisk.close();

    const choice = await chooseS3Backup(conn);
    const target = path.join(work, 'tampered-restore');
    const error = await downloadS3Backup(conn, choice.backup, target, { retryDelayMs: 10 }).catch((e) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error.message).toContain(
      `s3://${server.bucket}/tampered/backup/second.snapshot (collection second)`,
    );
    expect(error.message).toMatch(/changed or damaged in the bucket; nothing was sent to Qdrant/);
    // No manifest.json in the target: nothing downstream can take the folder for a checked backup.
    expect(await readdir(target)).not.toContain('manifest.json');
    expect(await readdir(target)).not.toContain('second.snapshot');
  });

  it('lists what is there when a prefix holds no complete backup', async () => {
    await server.client.send(
      new PutObjectCommand({ Bucket: server.bucket, Key: 'nothing-good/2026-05-01/a.snapshot', Body: 'x' }),
    );
    await server.client.send(
      new PutObjectCommand({
        Bucket: server.bucket,
        Key: 'nothing-good/2026-05-02/manifest.json',
        Body: '{"format":1',
      }),
    );
    const error = await chooseS3Backup(connect(`s3://${server.bucket}/nothing-good`)).catch((e) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error.setting).toBe('s3-url');
    expect(error.message).toMatch(/There is no complete backup under s3:\/\/backups\/nothing-good\//);
    expect(error.message).toMatch(/2026-05-01\/ \(incomplete: 1 object\(s\), no manifest.json/);
    expect(error.message).toMatch(/2026-05-02\/ \(manifest.json unreadable: manifest.json is not valid JSON/);

    const empty = await chooseS3Backup(connect(`s3://${server.bucket}/empty-prefix`)).catch((e) => e);
    expect(empty.message).toMatch(
      /There is no backup under s3:\/\/backups\/empty-prefix\/: the prefix is empty/,
    );
  });

  it('names the credential variables for a wrong secret, without the secret, through the standard AWS chain', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = `${SECRET_KEY}-wrong`;
    try {
      const conn = connect(`s3://${server.bucket}/roundtrip`, { credentials: undefined });
      const error = await listS3Backups(conn).catch((e) => e);
      expect(error).toBeInstanceOf(S3Error);
      expect(error.variable).toBe('AWS_ACCESS_KEY_ID');
      expect(error.message).toMatch(/refused the credentials/);
      expect(error.message).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      expect(error.message).not.toContain(SECRET_KEY);
      expect(error.message).not.toContain(ACCESS_KEY);

      // The right key in the environment works through the same chain.
      process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
      const good = connect(`s3://${server.bucket}/roundtrip`, { credentials: undefined });
      expect((await listS3Backups(good)).backups.length).toBe(1);
    } finally {
      process.env = saved;
    }
  });

  it('says the bucket does not exist and names s3-url', async () => {
    const error = await listS3Backups(connect('s3://no-such-bucket/x')).catch((e) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error.setting).toBe('s3-url');
    expect(error.message).toMatch(
      /The bucket no-such-bucket does not exist on the store at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(error.message).toMatch(/correct the bucket in 's3-url'/);
    const upload = await uploadBackupToS3(
      connect('s3://no-such-bucket/x'),
      (await makeBackupFolder(path.join(work, 'nobucket'), 'b', [{ name: 'a', bytes: 10 }])).folder,
    ).catch((e) => e);
    expect(upload.message).toMatch(/The bucket no-such-bucket does not exist/);
  });

  it('signs a URL that plain fetch downloads, byte for byte', async () => {
    const conn = connect(`s3://${server.bucket}/presigned`);
    const { folder, manifest } = await makeBackupFolder(path.join(work, 'presigned'), 'b', [
      { name: 'x', bytes: 2 * MIB + 7 },
    ]);
    await uploadBackupToS3(conn, folder);
    const { backup } = await chooseS3Backup(conn);
    const [signed] = await presignBackupUrls(conn, backup, { expiresInSeconds: 600 });
    expect(signed!.sha256).toBe(manifest.collections[0]!.files[0]!.sha256);
    expect(signed!.url).not.toContain(SECRET_KEY);
    const response = await fetch(signed!.url);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(manifest.collections[0]!.files[0]!.sha256);
    // The signature covers the key: another object with the same query string is refused.
    const forged = signed!.url.replace('/x.snapshot?', '/manifest.json?');
    expect((await fetch(forged)).status).toBe(403);
  });

  it('downloads only the collections asked for, into a new folder when the target is not empty', async () => {
    const conn = connect(`s3://${server.bucket}/subset`);
    const { folder } = await makeBackupFolder(path.join(work, 'subset'), 'b', [
      { name: 'one', bytes: 100 },
      { name: 'two', bytes: 200 },
    ]);
    await uploadBackupToS3(conn, folder);
    const target = path.join(work, 'subset-target');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'keep-me'), 'mine');
    const { backup } = await chooseS3Backup(conn);
    const result = await downloadS3Backup(conn, backup, target, { collections: ['two'] });
    expect(path.dirname(result.folder)).toBe(target);
    expect((await readdir(result.folder)).sort()).toEqual(['manifest.json', 'two.snapshot']);
    expect(await readFile(path.join(target, 'keep-me'), 'utf8')).toBe('mine');
  });
});
