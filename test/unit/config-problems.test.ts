import { describe, expect, it } from 'vitest';
import type { ManifestCollection } from '../../src/backup-format/manifest.js';
import { configProblems } from '../../src/core/verify-content.js';
import type { CollectionInfo } from '../../src/qdrant/types.js';

const expected = {
  name: 'c',
  points: 0,
  aliases: [],
  config: { params: { shard_number: 6, replication_factor: 2, write_consistency_factor: 1 } },
  payload_schema: {},
  sharding: { method: 'auto', shard_number: 6, replication_factor: 2, shard_keys: [] },
  level: 'shard',
  files: [],
  fingerprint: null,
  written_during_backup: false,
} as ManifestCollection;

const live = (params: Record<string, unknown>) =>
  ({ config: { params }, payload_schema: {}, status: 'green' }) as unknown as CollectionInfo;

describe('configProblems', () => {
  it('leaves out what follows the topology restored into (replication), not the data', () => {
    expect(configProblems(expected, live({ shard_number: 6, replication_factor: 1 }))).toEqual([]);
  });

  it('still reports a different shard number', () => {
    expect(configProblems(expected, live({ shard_number: 3, replication_factor: 2 }))).toEqual([
      'params.shard_number: expected 6, found 3',
    ]);
  });
});
