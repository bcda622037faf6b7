import type { Reporter } from '../core/reporter.js';

/**
 * Where backups are kept, besides the local folder they are made in: workflow artifacts today, S3 next.
 * A store moves a whole backup folder (manifest.json and its snapshot files) and knows nothing of what is
 * inside; the backup format (backup-format/folder.ts) checks a folder after a fetch, before anything is
 * restored. Errors are ActionErrors that name the store's own settings.
 */
export interface BackupStore<Ref> {
  /**
   * Stores the backup under `name`. `backup.files` lists manifest.json last: write it last, so that a
   * backup in the store is complete once its manifest is there (list and prune only those).
   */
  save(backup: LocalBackup, name: string): Promise<SavedBackup>;
  /**
   * Brings the backup `ref` names into the folder `into` (created if missing; a folder that holds files
   * gets a new empty subfolder, so nothing of the user's is overwritten) and returns the folder it is in.
   */
  fetch(ref: Ref, into: string, reporter: Reporter): Promise<string>;
}

/** A backup folder on disk and its files (names relative to it, manifest.json last). */
export interface LocalBackup {
  folder: string;
  files: string[];
}

export interface SavedBackup {
  /** The name it is stored under. */
  name: string;
  /** The store's id for it, where it has one (an artifact id). */
  id?: string;
  /** Bytes stored. */
  size: number;
}
