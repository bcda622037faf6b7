import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { MANIFEST_FILE, type Manifest, type ManifestFile } from '../backup-format/manifest.js';
import { tap } from '../util/tap.js';
import type { S3Connection } from './s3-client.js';
import { S3Error, isTransient } from './s3-errors.js';
import type { CompleteS3Backup } from './s3-list.js';
import { joinKey, s3Uri } from './s3-url.js';

export interface S3DownloadOptions {
  /** Download only these collections' files (default: all in the manifest). */
  collections?: string[];
  /** Attempts per object once the SDK's own retries gave up (default 3). */
  attempts?: number;
  retryDelayMs?: number;
  onRetry?: (retry: { key: string; attempt: number; error: string }) => void;
}

export interface S3DownloadResult {
  /** The folder that now holds manifest.json and the snapshot files, every one checked. */
  folder: string;
  manifest: Manifest;
  files: Array<{ collection: string; key: string; file: string; size: number; sha256: string }>;
}

/** A folder that holds nothing yet, so no file of the user's is ever overwritten. */
async function emptyFolder(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  if ((await readdir(folder)).length === 0) return folder;
  return mkdtemp(path.join(folder, 'download-'));
}

/** A damaged object: no retry can help, and the message says which object and what to do. */
class DamagedObjectError extends S3Error {}

function damaged(
  conn: S3Connection,
  backup: CompleteS3Backup,
  key: string,
  collection: string,
  what: string,
) {
  return new DamagedObjectError(
    `${s3Uri(conn.bucket, key)} (collection ${collection}) ${what}. The object was changed or damaged in the bucket; nothing was sent to Qdrant. Restore from another backup: set s3-url to its folder, or to the prefix once ${backup.uri} is removed.`,
  );
}

async function downloadObjectOnce(
  conn: S3Connection,
  backup: CompleteS3Backup,
  collection: string,
  entry: ManifestFile,
  key: string,
  file: string,
): Promise<void> {
  const response = await conn.client.send(new GetObjectCommand({ Bucket: conn.bucket, Key: key }));
  if (response.ContentLength !== undefined && response.ContentLength !== entry.size) {
    response.Body?.transformToWebStream()
      .cancel()
      .catch(() => {});
    throw damaged(
      conn,
      backup,
      key,
      collection,
      `has ${response.ContentLength} bytes; the manifest records ${entry.size}`,
    );
  }
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      response.Body as Readable,
      tap((chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      }),
      createWriteStream(file),
    );
  } catch (error) {
    // The SDK checks the store's own checksum of the object, where there is one, at the end of the body.
    if (/checksum mismatch/i.test((error as Error).message ?? '')) {
      throw damaged(conn, backup, key, collection, `does not match the checksum the store recorded for it`);
    }
    throw error;
  }
  const actual = hash.digest('hex');
  if (bytes !== entry.size) {
    throw damaged(conn, backup, key, collection, `has ${bytes} bytes; the manifest records ${entry.size}`);
  }
  if (actual !== entry.sha256) {
    throw damaged(
      conn,
      backup,
      key,
      collection,
      `has SHA-256 ${actual}; the manifest records ${entry.sha256}`,
    );
  }
}

/**
 * Downloads a complete backup into `folder` (or a new folder inside it when it is not empty), streamed, and
 * checks every object's size and SHA-256 against the manifest before returning: a restore that gets a
 * result may trust the files without reading them again.
 */
export async function downloadS3Backup(
  conn: S3Connection,
  backup: CompleteS3Backup,
  folder: string,
  options: S3DownloadOptions = {},
): Promise<S3DownloadResult> {
  const wanted = options.collections ? new Set(options.collections) : undefined;
  const collections = backup.manifest.collections.filter((c) => !wanted || wanted.has(c.name));
  const target = await emptyFolder(folder);
  const files: S3DownloadResult['files'] = [];
  const attempts = Math.max(1, options.attempts ?? 3);
  for (const collection of collections) {
    for (const entry of collection.files) {
      const key = joinKey(backup.key, entry.file);
      const file = path.join(target, entry.file);
      for (let attempt = 1; ; attempt++) {
        try {
          await downloadObjectOnce(conn, backup, collection.name, entry, key, file);
          break;
        } catch (error) {
          await rm(file, { force: true });
          if (error instanceof DamagedObjectError || !isTransient(error) || attempt >= attempts) {
            throw error instanceof S3Error
              ? error
              : conn.fail(error, `downloading ${s3Uri(conn.bucket, key)}`);
          }
          options.onRetry?.({ key, attempt, error: conn.fail(error, `downloading ${key}`).message });
          await sleep((options.retryDelayMs ?? 1000) * 2 ** (attempt - 1));
        }
      }
      files.push({ collection: collection.name, key, file, size: entry.size, sha256: entry.sha256 });
    }
  }
  await writeFile(path.join(target, MANIFEST_FILE), backup.manifestText);
  return { folder: target, manifest: backup.manifest, files };
}
