import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, ManifestError } from '../core/errors.js';
import { say, setting } from '../core/wording.js';
import {
  MANIFEST_FILE,
  readManifest,
  type Manifest,
  type ManifestCollection,
  type ManifestFile,
} from './manifest.js';
import { KEY_FILE } from './encryption.js';

// A backup folder holds manifest.json, one snapshot file per collection and (passphrase-encrypted) key.age,
// nothing else. Everything about
// such a folder lives here: its file names, making a new one, checking one, finding, listing and pruning.

/**
 * A file name for a collection's snapshot: artifact uploads refuse " : < > | * ? and some file systems
 * refuse more, so anything outside a safe set becomes '_' and a numeric suffix keeps names unique.
 */
export function snapshotFileName(collection: string, taken: Set<string>, extension: string): string {
  const base = collection.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'collection';
  let candidate = `${base}${extension}`;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}${extension}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/** The files of a backup folder, manifest.json last: a store writes it last, so a stored backup is complete once it is there. */
export function backupFiles(manifest: Manifest): string[] {
  const key = manifest.encryption === 'age-scrypt-wrapped' ? [KEY_FILE] : [];
  return [...manifest.collections.flatMap((c) => c.files.map((f) => f.file)), ...key, MANIFEST_FILE];
}

/** Makes the folder a new backup is written to. Nothing is overwritten: a folder that already holds a backup is refused. */
export async function prepareFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  if ((await readdir(folder)).includes(MANIFEST_FILE)) {
    throw new ActionError(
      say`${folder} already holds a backup (manifest.json); it is kept as is. Set ${setting('path')} to an empty or new folder.`,
    );
  }
}

function stamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/**
 * A new timestamped folder under `root` (qdrant-snapshots-YYYY-MM-DD-HHMMSS), with a suffix when taken:
 * two backups within one second must not share a folder.
 */
export function newBackupFolder(root: string, date = new Date()): string {
  const name = `qdrant-snapshots-${stamp(date)}`;
  let candidate = path.join(root, name);
  for (let n = 2; existsSync(candidate); n++) candidate = path.join(root, `${name}-${n}`);
  return candidate;
}

/** A folder to download into that holds nothing yet, so no file of the user's is ever overwritten. */
export async function emptyFolder(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  if ((await readdir(folder)).length === 0) return folder;
  return mkdtemp(path.join(folder, 'download-'));
}

/** SHA-256 of a file, read through one reused 1 MiB buffer: faster than a read stream, and no garbage per chunk. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/**
 * Checks a backup folder against its manifest before anything touches a server: every file present with
 * its recorded size and SHA-256 (streamed), and nothing there that the manifest does not list.
 */
export async function validateBackupFolder(
  folder: string,
  manifest: Manifest,
  collections: ManifestCollection[] = manifest.collections,
): Promise<void> {
  const expected = new Set(backupFiles(manifest));
  const extra = (await readdir(folder)).filter((entry) => !expected.has(entry));
  if (extra.length > 0) {
    throw new ManifestError(
      `${folder} holds file(s) the manifest does not list: ${extra.join(', ')}. A backup folder holds manifest.json and its snapshot files only; remove the others or restore from an untouched backup.`,
    );
  }
  for (const collection of collections) {
    for (const entry of collection.files) await checkFile(folder, collection.name, entry);
  }
}

async function checkFile(folder: string, collection: string, entry: ManifestFile): Promise<void> {
  const file = path.join(folder, entry.file);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new ManifestError(
      `The backup is missing ${entry.file} (collection ${collection}); the download is incomplete or the folder was altered. Use another backup, or exclude ${collection}.`,
    );
  }
  if (size !== entry.size) {
    throw new ManifestError(
      `${entry.file} (collection ${collection}) has ${size} bytes; the manifest records ${entry.size}. The file is truncated or damaged: use another backup.`,
    );
  }
  const actual = await sha256File(file);
  if (actual !== entry.sha256) {
    throw new ManifestError(
      `${entry.file} (collection ${collection}) has SHA-256 ${actual}; the manifest records ${entry.sha256}. The file is damaged or was altered: use another backup.`,
    );
  }
}

export interface BackupListing {
  folder: string;
  manifest?: Manifest;
  error?: string;
}

/** Backup folders directly under `root` (or `root` itself), newest first by manifest date. */
export async function listBackups(root: string): Promise<BackupListing[]> {
  const candidates = [root];
  try {
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (entry.isDirectory()) candidates.push(path.join(root, entry.name));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ManifestError(
        `There is no folder ${root}: give a backup folder, or a folder of backups (the newest is used).`,
      );
    }
    throw new ManifestError(`Cannot read ${root}: ${(error as Error).message}.`);
  }
  const listings: BackupListing[] = [];
  for (const folder of candidates) {
    const entries = await readdir(folder).catch(() => [] as string[]);
    if (!entries.includes(MANIFEST_FILE)) continue;
    try {
      listings.push({ folder, manifest: await readManifest(folder) });
    } catch (error) {
      listings.push({ folder, error: (error as Error).message });
    }
  }
  return listings.sort((a, b) => (b.manifest?.created_at ?? '').localeCompare(a.manifest?.created_at ?? ''));
}

/** `dir` itself when it holds a backup, otherwise the newest valid backup directly under it. */
export async function resolveBackupFolder(dir: string): Promise<{ folder: string; newest: boolean }> {
  const root = path.resolve(dir);
  const listings = await listBackups(root);
  if (listings.some((l) => l.folder === root)) return { folder: root, newest: false };
  const newest = listings.find((l) => l.manifest);
  if (!newest) throw new ActionError(`${dir} holds no backup (no manifest.json in it or in its subfolders).`);
  return { folder: newest.folder, newest: true };
}

/**
 * The backups that retention removes: for each collection, the `keep` newest backups holding it (listed
 * among the manifest's collections, so backed up in full) are kept; every other valid backup goes. A backup
 * that is the newest one of any collection is therefore never removed, and one collection's backups never
 * push out another's. `listings` is newest first, as listBackups returns it.
 */
export function backupsToRemove(listings: BackupListing[], keep: number): string[] {
  const valid = listings.filter((l) => l.manifest);
  const kept = new Set<string>();
  const seen = new Map<string, number>();
  for (const listing of valid) {
    for (const collection of new Set(listing.manifest!.collections.map((c) => c.name))) {
      const count = seen.get(collection) ?? 0;
      if (count < keep) kept.add(listing.folder);
      seen.set(collection, count + 1);
    }
  }
  return valid.filter((l) => !kept.has(l.folder)).map((l) => l.folder);
}

/**
 * Applies retention (backupsToRemove) to the backups directly under `root`; only folders holding a valid
 * manifest are ever removed. Returns the folders removed.
 */
export async function pruneBackups(root: string, keep: number): Promise<string[]> {
  const listings = (await listBackups(root)).filter((l) => l.folder !== root);
  const removed = backupsToRemove(listings, keep);
  for (const folder of removed) await rm(folder, { recursive: true, force: true });
  return removed;
}
