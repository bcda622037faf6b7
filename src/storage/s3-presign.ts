import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Connection } from './s3-client.js';
import { S3Error } from './s3-errors.js';
import type { CompleteS3Backup } from './s3-list.js';
import { joinKey } from './s3-url.js';

/** SigV4 presigned URLs expire after 7 days at most. */
export const MAX_EXPIRY_SECONDS = 7 * 24 * 3600;

export interface PresignedSnapshot {
  collection: string;
  key: string;
  /**
   * A GET URL anyone holding it can use until it expires; it carries a signature (and, with temporary
   * credentials, the session token): mask it (core.setSecret) and never log it.
   */
  url: string;
  size: number;
  /** For `PUT /collections/{c}/snapshots/recover {location, checksum}`: Qdrant checks it before recovering. */
  sha256: string;
  expiresAt: Date;
}

/**
 * Presigned GET URLs for a backup's snapshot files (`restore-method: url`): Qdrant downloads each one
 * itself, so the bytes go from the bucket to the server without passing through the runner.
 */
export async function presignBackupUrls(
  conn: S3Connection,
  backup: CompleteS3Backup,
  options: { collections?: string[]; expiresInSeconds?: number; now?: () => Date } = {},
): Promise<PresignedSnapshot[]> {
  const expiresIn = options.expiresInSeconds ?? 6 * 3600;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRY_SECONDS) {
    throw new S3Error(
      `A presigned URL lives 1 second to 7 days (SigV4's limit); ${expiresIn} seconds were asked for.`,
    );
  }
  if (backup.manifest.encryption !== null) {
    throw new S3Error(
      `${backup.uri} is encrypted (${backup.manifest.encryption}): Qdrant cannot decrypt a snapshot it pulls from a URL. Use restore-method: upload (the default), which decrypts on the runner.`,
    );
  }
  const wanted = options.collections ? new Set(options.collections) : undefined;
  const signed: PresignedSnapshot[] = [];
  for (const collection of backup.manifest.collections) {
    if (wanted && !wanted.has(collection.name)) continue;
    if (collection.files.length !== 1) {
      throw new S3Error(
        `${backup.uri}: collection ${collection.name} was backed up shard by shard (${collection.files.length} files); Qdrant recovers one collection snapshot from a URL. Use restore-method: upload (the default).`,
      );
    }
    const entry = collection.files[0]!;
    const key = joinKey(backup.key, entry.file);
    const url = await getSignedUrl(
      conn.plainClient(),
      new GetObjectCommand({ Bucket: conn.bucket, Key: key }),
      {
        expiresIn,
      },
    ).catch((error: unknown) => {
      throw conn.fail(error, `signing a URL for ${key}`);
    });
    signed.push({
      collection: collection.name,
      key,
      url,
      size: entry.size,
      sha256: entry.sha256,
      expiresAt: new Date((options.now?.() ?? new Date()).getTime() + expiresIn * 1000),
    });
  }
  return signed;
}
