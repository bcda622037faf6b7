// Faults a store or a network causes, injected by a proxy in front of the real versitygw: dropped
// connections (retried), a store that refuses S3 checksums (uploads go on without them) or multipart
// uploads (a clear error), and what an upload that finally fails leaves behind (no manifest.json).
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  S3Error,
  chooseS3Backup,
  connectS3,
  downloadS3Backup,
  uploadBackupToS3,
  type S3Connection,
} from '../../src/storage/s3.js';
import { makeBackupFolder } from '../helpers/backup-folder.js';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.js';
import { startS3Server, versitygwMissing, type S3TestServer } from '../helpers/s3-server.js';

const MIB = 1024 * 1024;

const isPart = (req: IncomingMessage, part: number) =>
  req.method === 'PUT' && new URL(req.url!, 'http://x').searchParams.get('partNumber') === String(part);

describe.skipIf(versitygwMissing !== undefined)('S3 faults (proxy in front of versitygw)', () => {
  let server: S3TestServer;
  let proxy: FaultProxy;
  let work: string;
  const connections: S3Connection[] = [];
  const connect = (prefix: string, extra = {}) => {
    const conn = connectS3(
      server.settings(`s3://${server.bucket}/${prefix}`, { endpoint: proxy.endpoint, ...extra }),
    );
    connections.push(conn);
    return conn;
  };
  const keys = async (prefix: string) =>
    (
      (await server.client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix })))
        .Contents ?? []
    )
      .map((o) => o.Key!)
      .sort();

  beforeAll(async () => {
    server = await startS3Server();
    proxy = await startFaultProxy(server.port);
    work = await mkdtemp(path.join(os.tmpdir(), 's3-faults-'));
  });
  afterEach(() => {
    proxy.setRule(undefined);
    proxy.intercepted.length = 0;
  });
  afterAll(async () => {
    for (const conn of connections) conn.destroy();
    await proxy?.close();
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('retries a part whose connection dropped mid-body, and completes the backup', async () => {
    let dropped = 0;
    proxy.setRule((req) =>
      isPart(req, 2) && dropped++ === 0 ? { kind: 'drop', afterBytes: MIB } : undefined,
    );
    const { folder, manifest } = await makeBackupFolder(path.join(work, 'drop-once'), 'b', [
      { name: 'c', bytes: 12 * MIB },
    ]);
    const result = await uploadBackupToS3(connect('drop-once'), folder, { partSize: 5 * MIB });
    expect(proxy.intercepted).toHaveLength(1);
    expect(result.objects.map((o) => o.key)).toEqual(['drop-once/b/c.snapshot', 'drop-once/b/manifest.json']);
    const { backup } = await chooseS3Backup(connect('drop-once'));
    const downloaded = await downloadS3Backup(
      connect('drop-once'),
      backup,
      path.join(work, 'drop-once-restore'),
    );
    const bytes = await readFile(downloaded.files[0]!.file);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.collections[0]!.files[0]!.sha256);
  });

  it('gives up after the retries, says the backup is incomplete, and leaves neither manifest.json nor parts', async () => {
    proxy.setRule((req) => (isPart(req, 2) ? { kind: 'drop', afterBytes: 64 * 1024 } : undefined));
    const { folder } = await makeBackupFolder(path.join(work, 'drop-always'), 'b', [
      { name: 'first', bytes: 1000 },
      { name: 'second', bytes: 12 * MIB },
    ]);
    const retries: number[] = [];
    const error = await uploadBackupToS3(connect('drop-always', { maxAttempts: 2 }), folder, {
      partSize: 5 * MIB,
      attempts: 2,
      retryDelayMs: 10,
      onRetry: (retry) => retries.push(retry.attempt),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error.message).toMatch(/while uploading s3:\/\/backups\/drop-always\/b\/second.snapshot/);
    expect(error.message).toMatch(
      /The backup at s3:\/\/backups\/drop-always\/b\/ is incomplete: manifest.json was not written, so it is never chosen for a restore/,
    );
    expect(retries).toEqual([1]); // our second attempt, after the SDK's own two
    expect(proxy.intercepted.length).toBe(4);
    expect(await keys('drop-always/')).toEqual(['drop-always/b/first.snapshot']);
    const uploads = await server.client.send(
      new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: 'drop-always/' }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
    await expect(chooseS3Backup(connect('drop-always'))).rejects.toThrow(
      /b\/ \(incomplete: 1 object\(s\), no manifest.json/,
    );
  });

  it('says so clearly when the store refuses multipart uploads', async () => {
    proxy.setRule((req) =>
      req.method === 'POST' && new URL(req.url!, 'http://x').searchParams.has('uploads')
        ? {
            kind: 'error',
            status: 501,
            code: 'NotImplemented',
            message: 'multipart uploads are not supported',
          }
        : undefined,
    );
    const { folder } = await makeBackupFolder(path.join(work, 'no-multipart'), 'b', [
      { name: 'c', bytes: 9 * MIB },
    ]);
    const error = await uploadBackupToS3(connect('no-multipart'), folder, { retryDelayMs: 10 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(S3Error);
    expect(error.setting).toBe('s3-endpoint');
    expect(error.message).toMatch(
      /^The store at http:\/\/127\.0\.0\.1:\d+ refused a multipart upload of s3:\/\/backups\/no-multipart\/b\/c.snapshot \(NotImplemented\)/,
    );
    expect(error.message).toMatch(/use a store that supports S3 multipart upload/);
    expect(error.message).toMatch(/is incomplete: manifest.json was not written/);
    expect(await keys('no-multipart/')).toEqual([]);
  });

  it('goes on without S3 checksums on a store that refuses them, still checking every SHA-256 itself', async () => {
    const checksumHeader = (req: IncomingMessage) =>
      Object.keys(req.headers).some(
        (h) =>
          h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm' || h === 'x-amz-trailer',
      );
    proxy.setRule((req) =>
      (req.method === 'PUT' || req.method === 'POST') && checksumHeader(req)
        ? {
            kind: 'error',
            status: 400,
            code: 'InvalidArgument',
            message: 'x-amz-checksum-sha256 is not supported',
          }
        : undefined,
    );
    const { folder, manifest } = await makeBackupFolder(path.join(work, 'no-checksums'), 'b', [
      { name: 'big', bytes: 11 * MIB },
      { name: 'small', bytes: 300 },
    ]);
    const result = await uploadBackupToS3(connect('no-checksums'), folder, { partSize: 5 * MIB });
    expect(proxy.intercepted.length).toBeGreaterThanOrEqual(1);
    expect(result.objects.map((o) => o.checksum)).toEqual(['none', 'none', 'none']);
    const { backup } = await chooseS3Backup(connect('no-checksums'));
    const downloaded = await downloadS3Backup(
      connect('no-checksums'),
      backup,
      path.join(work, 'no-checksums-restore'),
    );
    for (const [i, file] of downloaded.files.entries()) {
      expect(
        createHash('sha256')
          .update(await readFile(file.file))
          .digest('hex'),
      ).toBe(manifest.collections[i]!.files[0]!.sha256);
    }
  });

  it('signs part bodies as UNSIGNED-PAYLOAD only when a signed S3 checksum covers them', async () => {
    const seen: Array<[string, string]> = [];
    proxy.setRule((req) => {
      if (req.method === 'PUT') {
        seen.push([
          String(req.headers['x-amz-checksum-sha256'] ?? 'none'),
          String(req.headers['x-amz-content-sha256']),
        ]);
      }
      return undefined;
    });
    const { folder } = await makeBackupFolder(path.join(work, 'unsigned'), 'b', [
      { name: 'c', bytes: 11 * MIB },
    ]);
    await uploadBackupToS3(connect('unsigned'), folder, { partSize: 5 * MIB });
    // Three parts and manifest.json, each with its SHA-256 checksum header, none hashed twice.
    expect(seen).toHaveLength(4);
    for (const [checksum, payload] of seen) {
      expect(checksum).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(payload).toBe('UNSIGNED-PAYLOAD');
    }
    // Without S3 checksums (a store that refuses them) the payload stays signed.
    seen.length = 0;
    const plain = connect('unsigned').plainClient();
    await plain.send(new PutObjectCommand({ Bucket: server.bucket, Key: 'unsigned/plain', Body: 'x' }));
    expect(seen).toEqual([['none', createHash('sha256').update('x').digest('hex')]]);
  });

  it('downloads again an object whose response was cut mid-body', async () => {
    const conn = connect('cut');
    const { folder, manifest } = await makeBackupFolder(path.join(work, 'cut'), 'b', [
      { name: 'c', bytes: 6 * MIB },
    ]);
    await uploadBackupToS3(conn, folder);
    let cut = 0;
    proxy.setRule((req) =>
      req.method === 'GET' && req.url!.includes('c.snapshot') && cut++ === 0
        ? { kind: 'cut-response', afterBytes: 2 * MIB }
        : undefined,
    );
    const retries: string[] = [];
    const { backup } = await chooseS3Backup(conn);
    const downloaded = await downloadS3Backup(conn, backup, path.join(work, 'cut-restore'), {
      retryDelayMs: 10,
      onRetry: (retry) => retries.push(retry.key),
    });
    expect(retries).toEqual(['cut/b/c.snapshot']);
    expect(
      createHash('sha256')
        .update(await readFile(downloaded.files[0]!.file))
        .digest('hex'),
    ).toBe(manifest.collections[0]!.files[0]!.sha256);
  });
});
