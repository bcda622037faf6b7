import { ListObjectsV2Command, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { MANIFEST_FILE, parseManifest, type Manifest } from '../backup-format/manifest.js';
import type { S3Connection } from './s3-client.js';
import { S3Error, httpStatus, isTransient, s3ErrorCode } from './s3-errors.js';
import { checkBackupName, joinKey, s3Uri } from './s3-url.js';

const MIB = 1024 * 1024;
/** Parts of 8 MiB, four in flight: ~32 MiB of buffers whatever the file size, up to 70 GiB per file. */
export const DEFAULT_PART_SIZE = 8 * MIB;
const QUEUE_SIZE = 4;
const MAX_PARTS = 9000; // S3 allows 10,000; the margin keeps a rounding error from reaching it

export interface S3UploadOptions {
  /** The folder name under the prefix (default: the local folder's name). */
  name?: string;
  /** Attempts per object once the SDK's own retries gave up; the file is reopened each time (default 3). */
  attempts?: number;
  /** Multipart part size in bytes (default 8 MiB; larger when a file would need more than 9,000 parts). */
  partSize?: number;
  /** Milliseconds before the second attempt, doubled for each further one (default 1000). */
  retryDelayMs?: number;
  onProgress?: (progress: { key: string; loaded: number; total: number }) => void;
  onRetry?: (retry: { key: string; attempt: number; error: string }) => void;
}

export interface UploadedS3Object {
  key: string;
  size: number;
  sha256: string;
  /** 'sha256' when the store received and checked an S3 SHA-256 checksum (per part for multipart). */
  checksum: 'sha256' | 'none';
}

export interface S3UploadResult {
  name: string;
  /** `s3://bucket/prefix/name/`: the `s3-uri` output. */
  uri: string;
  /** Snapshot objects, then manifest.json (written last). */
  objects: UploadedS3Object[];
  manifest: Manifest;
}

/** The part size that keeps a file under MAX_PARTS parts, in whole MiB. */
export function partSizeFor(size: number, minimum = DEFAULT_PART_SIZE): number {
  return Math.max(minimum, Math.ceil(size / MAX_PARTS / MIB) * MIB);
}

/** A store that does not implement S3's flexible checksums answers with one of these. */
function refusesChecksums(error: unknown): boolean {
  const code = s3ErrorCode(error);
  if (code === 'BadDigest') return false; // the store checked the checksum and the data did not match it
  if (code === 'NotImplemented' || httpStatus(error) === 501) return true;
  const text = error instanceof Error ? error.message : String(error);
  return (
    ['InvalidArgument', 'InvalidRequest', 'BadRequest', 'InvalidDigest'].includes(code) &&
    /checksum|trailer|aws-chunked|x-amz-/i.test(text)
  );
}

interface Expected {
  size: number;
  sha256: string;
  what: string;
}

/**
 * Uploads one file, streamed from disk through a SHA-256 check: a file that is not what the manifest says
 * fails at its end, before the upload is completed, so the store never holds it under its name.
 */
async function uploadFileOnce(
  client: S3Client,
  conn: S3Connection,
  file: string,
  key: string,
  expected: Expected,
  checksums: boolean,
  options: S3UploadOptions,
): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | undefined;
  const verdict = (): S3Error | undefined => {
    const actual = (digest ??= hash.digest('hex'));
    if (bytes === expected.size && actual === expected.sha256) return undefined;
    return new S3Error(
      `${file} (${expected.what}) has ${bytes} bytes and SHA-256 ${actual} on disk; the manifest records ${expected.size} bytes and ${expected.sha256}. The local backup changed or is damaged; nothing was stored under ${s3Uri(conn.bucket, key)}. Make a new backup.`,
    );
  };
  // Judged before the last chunk goes on, not at the stream's end: the upload completes as soon as the
  // store has ContentLength bytes, which can be before this stream ends (a damaged file was stored so).
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (digest !== undefined) return callback(verdict()); // more than the manifest's size
      hash.update(chunk);
      if (bytes >= expected.size) {
        const problem = verdict();
        if (problem) return callback(problem);
      }
      callback(null, chunk);
    },
    flush(callback) {
      callback(digest === undefined ? verdict() : undefined); // shorter than the manifest's size
    },
  });
  const body = pipeline(createReadStream(file, { highWaterMark: MIB }), check, () => {});
  const upload = new Upload({
    client,
    params: {
      Bucket: conn.bucket,
      Key: key,
      Body: body,
      ContentLength: expected.size,
      ...(checksums ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
    },
    partSize: options.partSize ?? partSizeFor(expected.size),
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  if (options.onProgress) {
    upload.on('httpUploadProgress', (event) =>
      options.onProgress?.({ key, loaded: event.loaded ?? 0, total: expected.size }),
    );
  }
  try {
    const result = await upload.done();
    // A single-part upload stores the whole object's SHA-256: it must be the manifest's.
    const stored = result.ChecksumSHA256;
    if (checksums && stored && !stored.includes('-')) {
      const hex = Buffer.from(stored, 'base64').toString('hex');
      if (hex !== expected.sha256) {
        throw new S3Error(
          `The store recorded SHA-256 ${hex} for ${s3Uri(conn.bucket, key)}; the manifest records ${expected.sha256}.`,
        );
      }
    }
  } finally {
    body.destroy();
  }
  const head = await client.send(new HeadObjectCommand({ Bucket: conn.bucket, Key: key }));
  if (head.ContentLength !== expected.size) {
    throw new S3Error(
      `The store holds ${head.ContentLength} bytes under ${s3Uri(conn.bucket, key)} after the upload; ${expected.size} were sent.`,
    );
  }
}

/** Shared by the objects of one backup: once the store refuses checksums, later objects go without. */
interface UploadState {
  checksums: boolean;
}

async function uploadFile(
  conn: S3Connection,
  state: UploadState,
  file: string,
  key: string,
  expected: Expected,
  options: S3UploadOptions,
): Promise<UploadedS3Object> {
  const attempts = Math.max(1, options.attempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    try {
      const client = state.checksums ? conn.client : conn.plainClient();
      await uploadFileOnce(client, conn, file, key, expected, state.checksums, options);
      return {
        key,
        size: expected.size,
        sha256: expected.sha256,
        checksum: state.checksums ? 'sha256' : 'none',
      };
    } catch (error) {
      if (state.checksums && refusesChecksums(error)) {
        // The same attempt again, without S3 checksums: our own streaming SHA-256 check still applies.
        state.checksums = false;
        attempt--;
        continue;
      }
      const retry = (isTransient(error) || s3ErrorCode(error) === 'BadDigest') && attempt < attempts;
      if (!retry) throw explainUploadError(error, conn, key, expected.size, options);
      options.onRetry?.({ key, attempt, error: conn.fail(error, `uploading ${key}`).message });
      await sleep((options.retryDelayMs ?? 1000) * 2 ** (attempt - 1));
    }
  }
}

function explainUploadError(
  error: unknown,
  conn: S3Connection,
  key: string,
  size: number,
  options: S3UploadOptions,
): S3Error {
  const code = s3ErrorCode(error);
  const multipart = size > (options.partSize ?? partSizeFor(size));
  if (multipart && (code === 'NotImplemented' || httpStatus(error) === 501)) {
    return new S3Error(
      `${conn.endpoint ? `The store at ${conn.endpoint}` : 'The store'} refused a multipart upload of ${s3Uri(conn.bucket, key)} (${code}). Snapshot files larger than ${Math.round((options.partSize ?? partSizeFor(size)) / MIB)} MiB are uploaded in parts; use a store that supports S3 multipart upload (AWS S3, R2, B2, GCS, Ceph, MinIO and versitygw all do), or check that s3-endpoint points at an S3 API.`,
      { cause: error },
    );
  }
  return conn.fail(error, `uploading ${s3Uri(conn.bucket, key)}`);
}

async function putManifest(
  conn: S3Connection,
  state: UploadState,
  key: string,
  text: string,
): Promise<UploadedS3Object> {
  const body = Buffer.from(text, 'utf8');
  const digest = createHash('sha256').update(body).digest();
  const send = (client: S3Client, checksums: boolean) =>
    client.send(
      new PutObjectCommand({
        Bucket: conn.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/json',
        ...(checksums ? { ChecksumSHA256: digest.toString('base64') } : {}),
      }),
    );
  try {
    if (state.checksums) {
      try {
        await send(conn.client, true);
      } catch (error) {
        if (!refusesChecksums(error)) throw error;
        state.checksums = false;
      }
    }
    if (!state.checksums) await send(conn.plainClient(), false);
  } catch (error) {
    throw conn.fail(error, `writing ${s3Uri(conn.bucket, key)}`);
  }
  return {
    key,
    size: body.length,
    sha256: digest.toString('hex'),
    checksum: state.checksums ? 'sha256' : 'none',
  };
}

/** Refuses to write over a backup that is already complete under that name. */
async function checkTargetFree(conn: S3Connection, folderKey: string): Promise<void> {
  const manifestKey = joinKey(folderKey, MANIFEST_FILE);
  let found: boolean;
  try {
    const listing = await conn.client.send(
      new ListObjectsV2Command({ Bucket: conn.bucket, Prefix: manifestKey, MaxKeys: 1 }),
    );
    found = (listing.Contents ?? []).some((object) => object.Key === manifestKey);
  } catch (error) {
    throw conn.fail(error, `checking ${s3Uri(conn.bucket, folderKey, true)}`);
  }
  if (found) {
    throw new S3Error(
      `${s3Uri(conn.bucket, folderKey, true)} already holds a complete backup (manifest.json); it is kept as is. Give this backup another name, or another prefix in s3-url.`,
    );
  }
}

/**
 * Uploads a backup folder (manifest.json and the files it lists) to `prefix/<name>/`: every file streamed
 * from disk in parts, its SHA-256 checked against the manifest on the way, and manifest.json written last,
 * so the backup counts as complete only once everything else is there.
 */
export async function uploadBackupToS3(
  conn: S3Connection,
  folder: string,
  options: S3UploadOptions = {},
): Promise<S3UploadResult> {
  const name = options.name ?? path.basename(path.resolve(folder));
  checkBackupName(name);
  const manifestText = await readFile(path.join(folder, MANIFEST_FILE), 'utf8');
  const manifest = parseManifest(manifestText);
  const folderKey = joinKey(conn.prefix, name);
  const uri = s3Uri(conn.bucket, folderKey, true);
  await checkTargetFree(conn, folderKey);

  const state: UploadState = { checksums: true };
  const objects: UploadedS3Object[] = [];
  try {
    for (const collection of manifest.collections) {
      for (const entry of collection.files) {
        const what = `collection ${collection.name}${entry.shard ? `, shard ${entry.shard.id}` : ''}`;
        const file = path.join(folder, entry.file);
        const size = (await stat(file)).size;
        if (size !== entry.size) {
          throw new S3Error(
            `${file} (${what}) has ${size} bytes; the manifest records ${entry.size}. The local backup changed or is damaged: make a new backup.`,
          );
        }
        objects.push(
          await uploadFile(
            conn,
            state,
            file,
            joinKey(folderKey, entry.file),
            { size: entry.size, sha256: entry.sha256, what },
            options,
          ),
        );
      }
    }
    objects.push(await putManifest(conn, state, joinKey(folderKey, MANIFEST_FILE), manifestText));
  } catch (error) {
    const cause = error instanceof S3Error ? error : conn.fail(error, `uploading to ${uri}`);
    throw new S3Error(
      [
        ...cause.parts,
        ` The backup at ${uri} is incomplete: manifest.json was not written, so it is never chosen for a restore, and the retention of a later backup removes it after a day. The local backup in ${folder} is intact; run the upload again.`,
      ],
      { cause: error, ...(cause.variable ? { variable: cause.variable } : {}) },
    );
  }
  return { name, uri, objects, manifest };
}
