import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import { MANIFEST_FILE } from '../backup-format/manifest.js';
import type { S3Connection } from './s3-client.js';
import { S3Error, httpStatus, s3ErrorCode } from './s3-errors.js';
import { isSnapshotKey, listS3Backups, type S3BackupListing } from './s3-list.js';
import { DAY_MS, checkRetentionPolicy, planRetention, type RetentionVerdict } from './retention.js';
import { joinKey, s3Uri } from './s3-url.js';

export interface S3RetentionOptions {
  /** Newest complete backups to keep (0 keeps all). */
  keep: number;
  /** Keep complete backups younger than this many days (0 turns it off). */
  keepDays: number;
  /** The name of the backup this run just wrote (its folder under the prefix): never deleted. */
  justWritten: string;
  /** The time retention judges ages by (default: now). */
  now?: Date;
  /** An upload without manifest.json older than this is abandoned (default one day). */
  abandonedAfterMs?: number;
}

export interface S3RetentionReport {
  deleted: Array<RetentionVerdict & { uri: string; objects: number }>;
  kept: Array<RetentionVerdict & { uri: string }>;
  /** Multipart uploads started more than abandonedAfterMs ago and never finished (their parts cost storage). */
  abortedUploads: Array<{ key: string; initiated: Date }>;
  /** Backups that could not be deleted (or not entirely; see error). Nothing else was affected. */
  failed: Array<{ name: string; uri: string; error: string }>;
}

const BATCH_FALLBACK_CODES = new Set([
  'NotImplemented',
  'InvalidRequest',
  'InvalidArgument',
  'MissingContentMD5',
  'BadRequest',
  'InvalidDigest',
]);

/** Deletes keys in batches of 1,000, or one at a time on a store without DeleteObjects. */
async function deleteKeys(conn: S3Connection, keys: string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += 1000) {
    const batch = keys.slice(start, start + 1000);
    let result;
    try {
      result = await conn.client.send(
        new DeleteObjectsCommand({
          Bucket: conn.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    } catch (error) {
      if (!BATCH_FALLBACK_CODES.has(s3ErrorCode(error)) && httpStatus(error) !== 501) throw error;
      for (const key of batch)
        await conn.plainClient().send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: key }));
      continue;
    }
    const errors = result.Errors ?? [];
    if (errors.length > 0) {
      const first = errors[0]!;
      throw new S3Error(
        `${errors.length} object(s) could not be deleted, e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim(),
        { variable: 'AWS_ACCESS_KEY_ID' },
      );
    }
  }
}

/**
 * Deletes one whole backup: manifest.json first, so a backup half deleted is never taken for a complete
 * one (it is an incomplete upload from then on, which a later retention finishes off).
 */
export async function deleteS3Backup(conn: S3Connection, backup: S3BackupListing): Promise<number> {
  const manifestKey = joinKey(backup.key, MANIFEST_FILE);
  const keys = backup.objects.map((object) => object.key);
  if (keys.includes(manifestKey)) {
    await conn.client.send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: manifestKey }));
  }
  await deleteKeys(
    conn,
    keys.filter((key) => key !== manifestKey),
  );
  return keys.length;
}

async function abortAbandonedUploads(
  conn: S3Connection,
  cutoff: number,
): Promise<S3RetentionReport['abortedUploads']> {
  const aborted: S3RetentionReport['abortedUploads'] = [];
  const prefix = conn.prefix === '' ? '' : `${conn.prefix}/`;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await conn.client.send(
        new ListMultipartUploadsCommand({
          Bucket: conn.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
    } catch (error) {
      // Some stores do not list multipart uploads; their lifecycle rules are the only cleanup there.
      if (s3ErrorCode(error) === 'NotImplemented' || httpStatus(error) === 501) return aborted;
      throw error;
    }
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() >= cutoff)
        continue;
      // Only our own: prefix/<backup>/<collection>.snapshot[.age]; another tool's uploads are its business.
      const folder = upload.Key.slice(0, upload.Key.lastIndexOf('/'));
      if (folder.slice(prefix.length).includes('/') || !isSnapshotKey(folder, upload.Key)) continue;
      await conn.client.send(
        new AbortMultipartUploadCommand({ Bucket: conn.bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
      aborted.push({ key: upload.Key, initiated: upload.Initiated });
    }
    if (!page.IsTruncated) return aborted;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/**
 * Retention under the connection's prefix, run after a complete backup only: deletes whole backups that
 * planRetention gives up, and abandoned uploads. Returns what it deleted, kept and could not delete.
 */
export async function applyS3Retention(
  conn: S3Connection,
  options: S3RetentionOptions,
): Promise<S3RetentionReport> {
  const problem = checkRetentionPolicy(options);
  if (problem) throw new S3Error(problem);
  const now = options.now ?? new Date();
  const abandonedAfterMs = options.abandonedAfterMs ?? DAY_MS;
  const { backups } = await listS3Backups(conn);
  const written = backups.find((backup) => backup.name === options.justWritten);
  if (!written || written.kind !== 'complete' || !written.manifest.complete) {
    const state = !written
      ? 'is not there'
      : written.kind !== 'complete'
        ? 'has no readable manifest.json'
        : `is partial (${written.manifest.failed.map((f) => f.name).join(', ')} failed)`;
    throw new S3Error(
      `Retention runs only after a complete backup, and ${s3Uri(conn.bucket, joinKey(conn.prefix, options.justWritten), true)} ${state}; nothing was deleted.`,
    );
  }
  const plan = planRetention(
    backups.map((backup) => ({
      name: backup.name,
      kind: backup.kind,
      time: backup.time,
      collections: backup.kind === 'complete' ? backup.manifest.collections.map((c) => c.name) : [],
    })),
    {
      keep: options.keep,
      keepDays: options.keepDays,
      justWritten: options.justWritten,
      now,
      abandonedAfterMs,
    },
  );
  const byName = new Map(backups.map((backup) => [backup.name, backup]));
  const report: S3RetentionReport = {
    deleted: [],
    kept: plan.keep.map((verdict) => ({ ...verdict, uri: byName.get(verdict.name)!.uri })),
    abortedUploads: [],
    failed: [],
  };
  for (const verdict of plan.delete) {
    const backup = byName.get(verdict.name)!;
    try {
      const objects = await deleteS3Backup(conn, backup);
      report.deleted.push({ ...verdict, uri: backup.uri, objects });
    } catch (error) {
      const explained = error instanceof S3Error ? error : conn.fail(error, `deleting ${backup.uri}`);
      report.failed.push({ name: backup.name, uri: backup.uri, error: explained.message });
    }
  }
  try {
    report.abortedUploads = await abortAbandonedUploads(conn, now.getTime() - abandonedAfterMs);
  } catch (error) {
    report.failed.push({
      name: '(multipart uploads)',
      uri: s3Uri(conn.bucket, conn.prefix, true),
      error: conn.fail(error, 'aborting abandoned multipart uploads').message,
    });
  }
  return report;
}
