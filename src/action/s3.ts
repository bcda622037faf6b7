// The action's side of the off-site copy: outputs, masking and summary lines around src/storage/s3-backups.
import * as core from '@actions/core';
import type { BackupResult } from '../core/backup.js';
import type { Reporter } from '../core/reporter.js';
import type { S3Options } from '../storage/s3-settings.js';
import { loadS3Backups } from '../storage/s3-load.js';
import { formatBytes } from '../util/format.js';
import type { Options } from './inputs.js';

/** Uploads the finished backup to s3-url, sets output s3-uri, runs retention; returns job summary lines. */
export async function copyToS3(
  options: Options,
  result: BackupResult,
  reporter: Reporter,
): Promise<string[]> {
  const copy = await (
    await loadS3Backups()
  ).copyBackupToS3({ ...options.s3, url: options.s3.url! }, result.path, result.manifest, reporter);
  core.setOutput('s3-uri', copy.uri);
  const lines = [`S3: **${copy.uri}** (${copy.objects} objects, ${formatBytes(copy.bytes)})`];
  if (copy.retention) {
    const deleted = copy.retention.deleted.map((d) => d.uri);
    lines.push(
      deleted.length > 0
        ? `Retention deleted ${deleted.length} older backup(s): ${deleted.join(', ')}`
        : 'Retention deleted nothing.',
    );
  }
  return lines;
}

/** Downloads (and checks) the backup s3-url names into the restore folder. */
export async function fetchFromS3(
  s3: S3Options & { url: string },
  into: string,
  reporter: Reporter,
): Promise<{ folder: string; uri: string }> {
  return (await loadS3Backups()).fetchBackupFromS3(s3, into, reporter);
}
