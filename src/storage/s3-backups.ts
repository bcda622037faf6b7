// The off-site copy as the action and the CLI use it: one call after a backup (upload, then retention),
// one before a restore (choose, download, check), one to list. The S3 modules do the work; this module
// connects them to the settings and says what happened.
import * as path from 'node:path';
import { newBackupFolder } from '../backup-format/folder.js';
import type { Manifest } from '../backup-format/manifest.js';
import type { Reporter } from '../core/reporter.js';
import { formatBytes } from '../util/format.js';
import { connectS3, type S3Connection } from './s3-client.js';
import { downloadS3Backup } from './s3-download.js';
import { chooseS3Backup, describeListing, listS3Backups } from './s3-list.js';
import { applyS3Retention, type S3RetentionReport } from './s3-retention.js';
import type { S3Options } from './s3-settings.js';
import { uploadBackupToS3 } from './s3-upload.js';
import { s3Uri } from './s3-url.js';

/** The name a backup gets under the prefix: its creation time, so names sort by age and never clash. */
export function s3BackupName(manifest: Manifest): string {
  // The same name the CLI gives a local backup folder.
  return path.basename(newBackupFolder('/', new Date(manifest.created_at)));
}

function connect(s3: S3Options & { url: string }): S3Connection {
  return connectS3({ url: s3.url, endpoint: s3.endpoint, region: s3.region });
}

export interface S3CopyResult {
  /** s3://bucket/prefix/<name>/ */
  uri: string;
  bytes: number;
  objects: number;
  /** Undefined when no retention was set or the backup was partial. */
  retention?: S3RetentionReport;
}

/**
 * Uploads a finished local backup to `s3-url`'s prefix under its own name (manifest.json last), then,
 * when the backup saved every collection and keep / keep-days are set, applies retention and says what it
 * deleted. A partial backup is uploaded (it is the best copy there is) but triggers no deletion.
 */
export async function copyBackupToS3(
  s3: S3Options & { url: string },
  folder: string,
  manifest: Manifest,
  reporter: Reporter,
): Promise<S3CopyResult> {
  const conn = connect(s3);
  try {
    const name = s3BackupName(manifest);
    reporter.info(`Uploading the backup to ${s3Uri(conn.bucket, conn.prefix, true)}${name}/ ...`);
    const upload = await uploadBackupToS3(conn, folder, {
      name,
      onRetry: ({ key, attempt, error }) =>
        reporter.warning(`Upload of ${key} failed (attempt ${attempt}), retrying: ${error}`),
    });
    const bytes = upload.objects.reduce((sum, object) => sum + object.size, 0);
    const checked = upload.objects.every((object) => object.checksum === 'sha256')
      ? 'each SHA-256 checked by the store'
      : 'each SHA-256 checked on the way (the store keeps no S3 checksums)';
    reporter.info(
      `Stored ${upload.uri}: ${upload.objects.length} object(s), ${formatBytes(bytes)}, ${checked}; manifest.json written last.`,
    );
    const result: S3CopyResult = { uri: upload.uri, bytes, objects: upload.objects.length };
    if (s3.keep === 0 && s3.keepDays === 0) return result;
    if (!manifest.complete) {
      reporter.warning(
        `Retention skipped: ${manifest.failed.length} collection(s) failed, and retention runs only after a complete backup; nothing was deleted from ${s3Uri(conn.bucket, conn.prefix, true)}.`,
      );
      return result;
    }
    result.retention = await applyS3Retention(conn, {
      keep: s3.keep,
      keepDays: s3.keepDays,
      justWritten: name,
    });
    for (const line of retentionLines(result.retention)) reporter.info(line);
    for (const failed of result.retention.failed) {
      reporter.warning(`Retention could not delete ${failed.uri}: ${failed.error}`);
    }
    return result;
  } finally {
    conn.destroy();
  }
}

/** What retention did, one line each: deleted backups with the reason, aborted uploads, the count kept. */
export function retentionLines(report: S3RetentionReport): string[] {
  const lines = report.deleted.map(
    (deleted) => `Retention deleted ${deleted.uri} (${deleted.objects} object(s)): ${deleted.reason}.`,
  );
  for (const upload of report.abortedUploads) {
    lines.push(
      `Retention aborted an unfinished upload of ${upload.key} (started ${upload.initiated.toISOString()}).`,
    );
  }
  if (lines.length === 0)
    lines.push(`Retention deleted nothing; ${report.kept.length} backup folder(s) kept.`);
  else lines.push(`Retention kept ${report.kept.length} backup folder(s).`);
  return lines;
}

/**
 * Brings the backup `s3-url` names (one backup, or the newest complete one under a prefix) into `into`,
 * every object's size and SHA-256 checked against the manifest before this returns, so nothing reaches
 * Qdrant from a damaged copy. Returns the local folder and the backup's URI.
 */
export async function fetchBackupFromS3(
  s3: S3Options & { url: string },
  into: string,
  reporter: Reporter,
): Promise<{ folder: string; uri: string }> {
  const conn = connect(s3);
  try {
    const { backup, skipped } = await chooseS3Backup(conn);
    for (const passed of skipped) reporter.info(`Passed over ${passed.uri}: ${describeListing(passed)}`);
    reporter.info(`Downloading ${backup.uri} (created ${backup.manifest.created_at}) ...`);
    const download = await downloadS3Backup(conn, backup, path.resolve(into), {
      onRetry: ({ key, attempt, error }) =>
        reporter.warning(`Download of ${key} failed (attempt ${attempt}), retrying: ${error}`),
    });
    const bytes = download.files.reduce((sum, file) => sum + file.size, 0);
    reporter.info(
      `Downloaded ${download.files.length} file(s), ${formatBytes(bytes)}, into ${download.folder}; every size and SHA-256 matches the manifest.`,
    );
    return { folder: download.folder, uri: backup.uri };
  } finally {
    conn.destroy();
  }
}

/** The backups under a prefix, newest first, one line each (what `list s3://...` prints). */
export async function listS3BackupLines(s3: S3Options & { url: string }): Promise<string[]> {
  const conn = connect(s3);
  try {
    const { backups } = await listS3Backups(conn);
    if (backups.length === 0) return [`No backups under ${s3Uri(conn.bucket, conn.prefix, true)}.`];
    return backups.map((backup) => {
      const line = `${backup.uri}\n  ${describeListing(backup)}`;
      if (backup.kind !== 'complete') return line;
      const m = backup.manifest;
      const bytes = m.collections.reduce((sum, c) => sum + c.files.reduce((n, f) => n + f.size, 0), 0);
      const collections = m.collections.map((c) => `    ${c.name}: ${c.points} points`).join('\n');
      return `${line}\n  Qdrant ${m.qdrant_version}, ${formatBytes(bytes)}${m.encryption ? ', encrypted' : ''}\n${collections}`;
    });
  } finally {
    conn.destroy();
  }
}
