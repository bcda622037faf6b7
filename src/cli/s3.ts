// The CLI's side of the off-site copy (backup --to, restore --from, list s3://...).
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackupResult } from '../core/backup.js';
import type { Reporter } from '../core/reporter.js';
import type { S3Options } from '../storage/s3-settings.js';
import { loadS3Backups } from '../storage/s3-load.js';
import { formatBytes } from '../util/format.js';

/** With --to: uploads the finished backup and applies --keep / --keep-days there; returns report lines. */
export async function storeInS3(s3: S3Options, result: BackupResult, reporter: Reporter): Promise<string[]> {
  if (!s3.url) return [];
  const copy = await (
    await loadS3Backups()
  ).copyBackupToS3({ ...s3, url: s3.url }, result.path, result.manifest, reporter);
  const lines = [`Stored in S3: ${copy.uri} (${copy.objects} objects, ${formatBytes(copy.bytes)})`];
  if (copy.retention) lines.push(`Retention deleted ${copy.retention.deleted.length} older backup(s) in S3.`);
  return lines;
}

/** With --from: the chosen backup, downloaded and checked into a temporary folder, and how to remove it. */
export async function fetchS3Backup(
  s3: S3Options,
  reporter: Reporter,
): Promise<{ folder: string; uri: string; remove(): Promise<void> } | undefined> {
  if (!s3.url) return undefined;
  const into = await mkdtemp(path.join(os.tmpdir(), 'qdrant-snapshot-s3-'));
  try {
    const fetched = await (await loadS3Backups()).fetchBackupFromS3({ ...s3, url: s3.url }, into, reporter);
    return { ...fetched, remove: () => rm(into, { recursive: true, force: true }) };
  } catch (error) {
    await rm(into, { recursive: true, force: true });
    throw error;
  }
}

export async function listS3(s3: S3Options): Promise<string[]> {
  return (await loadS3Backups()).listS3BackupLines({ ...s3, url: s3.url! });
}
