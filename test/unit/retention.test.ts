import { describe, expect, it } from 'vitest';
import { backupsToRemove, type BackupListing } from '../../src/backup-format/folder.js';
import type { Manifest } from '../../src/backup-format/manifest.js';

/** A listing holding `collections` (backed up in full) and `failed` ones. */
function listing(folder: string, collections: string[], failed: string[] = []): BackupListing {
  return {
    folder,
    manifest: {
      collections: collections.map((name) => ({ name })),
      failed: failed.map((name) => ({ name, error: 'x' })),
      complete: failed.length === 0,
    } as unknown as Manifest,
  };
}

describe('backupsToRemove (--keep N), newest first', () => {
  it('keeps the N newest backups of each collection', () => {
    const listings = [
      listing('d3', ['a']),
      listing('d2', ['a']),
      listing('d1', ['a', 'b']),
      listing('d0', ['a', 'b']),
    ];
    expect(backupsToRemove(listings, 1)).toEqual(['d2', 'd0']);
    expect(backupsToRemove(listings, 2)).toEqual([]);
  });

  it('never removes the newest backup of any collection, whatever N', () => {
    const listings = [listing('new', ['a']), listing('mid', ['a']), listing('old', ['a', 'b', 'c'])];
    expect(backupsToRemove(listings, 1)).toEqual(['mid']);
  });

  it('a collection that failed in a backup does not count as backed up there', () => {
    const listings = [listing('new', ['a'], ['b']), listing('old', ['a', 'b'])];
    expect(backupsToRemove(listings, 1)).toEqual([]);
    expect(backupsToRemove([listing('newest', ['a', 'b']), ...listings], 1)).toEqual(['new', 'old']);
  });

  it('never lists a folder without a valid manifest', () => {
    const listings = [listing('new', ['a']), { folder: 'broken', error: 'not JSON' }, listing('old', ['a'])];
    expect(backupsToRemove(listings, 1)).toEqual(['old']);
  });
});
