import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ManifestError } from '../core/errors.js';
import { MANIFEST_FILE, readManifest, type Manifest, type ManifestCollection } from './manifest.js';

/**
 * SHA-256 of a file, read through one reused 1 MiB buffer: twice as fast as a read stream and no garbage
 * per chunk (bench/: the check of a 1 GiB backup went from 1.59 s to 0.86 s, and +40 MiB RSS to +8 MiB).
 */
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
  const expected = new Set([MANIFEST_FILE, ...manifest.collections.map((c) => c.file)]);
  const extra = (await readdir(folder)).filter((entry) => !expected.has(entry));
  if (extra.length > 0) {
    throw new ManifestError(
      `${folder} holds file(s) the manifest does not list: ${extra.join(', ')}. A backup folder holds manifest.json and its snapshot files only; remove the others or restore from an untouched backup.`,
    );
  }
  for (const collection of collections) {
    const file = path.join(folder, collection.file);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      throw new ManifestError(
        `The backup is missing ${collection.file} (collection ${collection.name}); the download is incomplete or the folder was altered. Use another backup, or exclude ${collection.name}.`,
      );
    }
    if (size !== collection.size) {
      throw new ManifestError(
        `${collection.file} (collection ${collection.name}) has ${size} bytes; the manifest records ${collection.size}. The file is truncated or damaged: use another backup.`,
      );
    }
    const actual = await sha256File(file);
    if (actual !== collection.sha256) {
      throw new ManifestError(
        `${collection.file} (collection ${collection.name}) has SHA-256 ${actual}; the manifest records ${collection.sha256}. The file is damaged or was altered: use another backup.`,
      );
    }
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
