import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { MANIFEST_FILE, parseManifest, type Manifest } from '../backup-format/manifest.js';
import { mapPool } from '../util/pool.js';
import type { S3Connection } from './s3-client.js';
import { S3Error, s3ErrorCode } from './s3-errors.js';
import { joinKey, s3Uri } from './s3-url.js';

export interface S3Object {
  key: string;
  size: number;
  lastModified: Date;
}

interface S3BackupBase {
  /** The folder name under the prefix. */
  name: string;
  /** The folder's key, without a trailing '/'. */
  key: string;
  /** `s3://bucket/key/` */
  uri: string;
  /** Every object under the folder. */
  objects: S3Object[];
  /** The manifest's created_at for a complete backup, else the newest object's time. */
  time: Date;
}

/** manifest.json is there and valid: the upload finished. `manifest.complete` says if every collection did. */
export interface CompleteS3Backup extends S3BackupBase {
  kind: 'complete';
  manifest: Manifest;
  /** manifest.json exactly as stored. */
  manifestText: string;
}

/** No manifest.json: an upload that stopped (or is still running). Never chosen, removed after a day. */
export interface IncompleteS3Backup extends S3BackupBase {
  kind: 'incomplete';
}

/** manifest.json is there but cannot be read (damaged, or written by another version): never chosen or deleted. */
export interface UnreadableS3Backup extends S3BackupBase {
  kind: 'unreadable';
  error: string;
}

/**
 * A folder without manifest.json holding something other than snapshot files: not written by this tool
 * (the prefix is shared with other data). Never chosen, never deleted.
 */
export interface ForeignS3Folder extends S3BackupBase {
  kind: 'foreign';
}

export type S3BackupListing = CompleteS3Backup | IncompleteS3Backup | UnreadableS3Backup | ForeignS3Folder;

/** The files a backup writes besides manifest.json: `<collection>.snapshot`, encrypted `.snapshot.age`. */
const SNAPSHOT_FILE = /^[^/]+\.snapshot(\.age)?$/;

/** True when `key` (under `folderKey`) is a snapshot file this tool would have uploaded. */
export function isSnapshotKey(folderKey: string, key: string): boolean {
  return key.startsWith(`${folderKey}/`) && SNAPSHOT_FILE.test(key.slice(folderKey.length + 1));
}

export interface S3PrefixListing {
  /** Backups under the prefix, newest first. */
  backups: S3BackupListing[];
  /** Objects directly under the prefix, outside any backup folder. */
  loose: S3Object[];
}

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

async function listObjects(conn: S3Connection, prefix: string): Promise<S3Object[]> {
  const objects: S3Object[] = [];
  let token: string | undefined;
  do {
    const page = await conn.client
      .send(new ListObjectsV2Command({ Bucket: conn.bucket, Prefix: prefix, ContinuationToken: token }))
      .catch((error: unknown) => {
        throw conn.fail(error, `listing ${s3Uri(conn.bucket, prefix)}`);
      });
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      objects.push({
        key: object.Key,
        size: object.Size ?? 0,
        lastModified: object.LastModified ?? new Date(0),
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** The text of a small object, or undefined when there is no such key. */
export async function readSmallObject(conn: S3Connection, key: string): Promise<string | undefined> {
  try {
    const response = await conn.client.send(new GetObjectCommand({ Bucket: conn.bucket, Key: key }));
    if ((response.ContentLength ?? 0) > MAX_MANIFEST_BYTES) {
      response.Body?.transformToWebStream()
        .cancel()
        .catch(() => {});
      throw new S3Error(
        `${s3Uri(conn.bucket, key)} has ${response.ContentLength} bytes; a manifest.json is far smaller. It is not a manifest written by this tool.`,
      );
    }
    return (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (s3ErrorCode(error) === 'NoSuchKey') return undefined;
    throw conn.fail(error, `reading ${s3Uri(conn.bucket, key)}`);
  }
}

function newest(objects: S3Object[]): Date {
  return new Date(Math.max(0, ...objects.map((object) => object.lastModified.getTime())));
}

/** Reads one backup folder's manifest and classifies it. */
async function classify(
  conn: S3Connection,
  name: string,
  key: string,
  objects: S3Object[],
): Promise<S3BackupListing> {
  const base = { name, key, uri: s3Uri(conn.bucket, key, true), objects };
  const manifestKey = joinKey(key, MANIFEST_FILE);
  if (!objects.some((object) => object.key === manifestKey)) {
    const ours = objects.every((object) => isSnapshotKey(key, object.key));
    return { ...base, kind: ours ? 'incomplete' : 'foreign', time: newest(objects) };
  }
  let text: string | undefined;
  try {
    text = await readSmallObject(conn, manifestKey);
  } catch (error) {
    if (error instanceof S3Error && error.setting !== 's3-url') throw error; // credentials, network: not the backup's fault
    return { ...base, kind: 'unreadable', error: (error as Error).message, time: newest(objects) };
  }
  // Deleted between the listing and the read: retention of another job is removing it.
  if (text === undefined) return { ...base, kind: 'incomplete', time: newest(objects) };
  try {
    const manifest = parseManifest(text);
    return { ...base, kind: 'complete', manifest, manifestText: text, time: new Date(manifest.created_at) };
  } catch (error) {
    return { ...base, kind: 'unreadable', error: (error as Error).message, time: newest(objects) };
  }
}

function newestFirst(a: S3BackupListing, b: S3BackupListing): number {
  return b.time.getTime() - a.time.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** Every backup folder directly under the prefix (complete, incomplete or unreadable), newest first. */
export async function listS3Backups(conn: S3Connection, prefix = conn.prefix): Promise<S3PrefixListing> {
  const folderPrefix = prefix === '' ? '' : `${prefix}/`;
  const groups = new Map<string, S3Object[]>();
  const loose: S3Object[] = [];
  for (const object of await listObjects(conn, folderPrefix)) {
    const rest = object.key.slice(folderPrefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) {
      loose.push(object);
      continue;
    }
    const name = rest.slice(0, slash);
    const group = groups.get(name) ?? [];
    group.push(object);
    groups.set(name, group);
  }
  const backups = await mapPool([...groups], 8, ([name, objects]) =>
    classify(conn, name, joinKey(prefix, name), objects),
  );
  return { backups: backups.sort(newestFirst), loose };
}

/** One line per backup, for messages and `list`. */
export function describeListing(backup: S3BackupListing): string {
  const when = backup.time.toISOString();
  switch (backup.kind) {
    case 'complete': {
      const m = backup.manifest;
      const state = m.complete ? 'complete' : `complete upload, but ${m.failed.length} collection(s) failed`;
      return `${backup.name}/ (${state}: ${m.collections.length} collection(s), created ${when})`;
    }
    case 'incomplete':
      return `${backup.name}/ (incomplete: ${backup.objects.length} object(s), no manifest.json, last written ${when})`;
    case 'unreadable':
      return `${backup.name}/ (manifest.json unreadable: ${backup.error})`;
    case 'foreign':
      return `${backup.name}/ (not a backup: ${backup.objects.length} object(s), no manifest.json, not snapshot files)`;
  }
}

export interface S3BackupChoice {
  backup: CompleteS3Backup;
  /** Newer backups passed over, and why (see describeListing). */
  skipped: S3BackupListing[];
}

/**
 * What `s3-url` names for a restore: one backup (a folder holding manifest.json), or a prefix, whose newest
 * backup with a valid manifest and every collection saved is taken. Anything else is an error that lists
 * what is there.
 */
export async function chooseS3Backup(conn: S3Connection): Promise<S3BackupChoice> {
  if (conn.prefix !== '') {
    const text = await readSmallObject(conn, joinKey(conn.prefix, MANIFEST_FILE));
    if (text !== undefined) {
      let manifest: Manifest;
      try {
        manifest = parseManifest(text);
      } catch (error) {
        throw new S3Error(
          `${s3Uri(conn.bucket, conn.prefix, true)} holds a manifest.json that cannot be used: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const folderPrefix = `${conn.prefix}/`;
      const objects = await listObjects(conn, folderPrefix);
      const name = conn.prefix.slice(conn.prefix.lastIndexOf('/') + 1);
      return {
        backup: {
          kind: 'complete',
          name,
          key: conn.prefix,
          uri: s3Uri(conn.bucket, conn.prefix, true),
          objects,
          time: new Date(manifest.created_at),
          manifest,
          manifestText: text,
        },
        skipped: [],
      };
    }
  }
  const { backups, loose } = await listS3Backups(conn);
  const index = backups.findIndex((backup) => backup.kind === 'complete' && backup.manifest.complete);
  if (index >= 0) return { backup: backups[index] as CompleteS3Backup, skipped: backups.slice(0, index) };

  const where = s3Uri(conn.bucket, conn.prefix, true);
  const found = [
    ...backups.map((backup) => `  ${describeListing(backup)}`),
    ...(loose.length > 0
      ? [
          `  ${loose.length} object(s) directly under the prefix, outside any backup folder: ${loose
            .slice(0, 5)
            .map((object) => object.key.slice(object.key.lastIndexOf('/') + 1))
            .join(
              ', ',
            )}${loose.length > 5 ? ', ...' : ''}${loose.length > 0 ? ' (if s3-url names one backup, its upload is incomplete: it has no manifest.json)' : ''}`,
        ]
      : []),
  ];
  const partial = backups.filter((backup) => backup.kind === 'complete');
  throw new S3Error(
    found.length === 0
      ? `There is no backup under ${where}: the prefix is empty. Set s3-url to the prefix your backups were written to (the s3-url of the backup step) or to one backup folder.`
      : `There is no complete backup under ${where}. Found:\n${found.join('\n')}\n${
          partial.length > 0
            ? `To restore what a partial backup holds, set s3-url to that backup folder (for example ${partial[0]!.uri}).`
            : 'Set s3-url to the prefix your backups were written to, or to one backup folder that holds manifest.json.'
        }`,
  );
}
