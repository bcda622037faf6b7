import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/core/errors.js';
import { parseManifest, type Manifest } from '../../src/backup-format/manifest.js';

const SHA = 'a'.repeat(64);
function manifest(overrides: Partial<Manifest> = {}, collection: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: 'qdrant-snapshot-manifest',
    version: 1,
    created_at: '2026-11-24T10:00:00.000Z',
    qdrant_version: '1.19.0',
    complete: true,
    encryption: null,
    collections: [
      {
        name: 'products',
        file: 'products.snapshot',
        size: 10,
        sha256: SHA,
        points: 3,
        config: { vectors: { size: 4, distance: 'Cosine' } },
        aliases: ['products_live'],
        encrypted: false,
        snapshot_size: 10,
        snapshot_sha256: SHA,
        ...collection,
      },
    ],
    failed: [],
    ...overrides,
  });
}

describe('parseManifest (version 1, read as version 2)', () => {
  it('reads a valid manifest', () => {
    const parsed = parseManifest(manifest());
    expect(parsed.collections[0]).toMatchObject({ name: 'products', points: 3, aliases: ['products_live'] });
  });

  it.each([
    ['not JSON', '{"format": ', /not valid JSON/],
    ['truncated', manifest().slice(0, 60), /not valid JSON/],
    ['another format', manifest({ format: 'x' as never }), /format "x"; expected "qdrant-snapshot-manifest"/],
    [
      'an unknown version',
      manifest({ version: 3 as never }),
      /version 3; this release reads versions 1 to 2/,
    ],
    [
      'an unknown top field',
      JSON.stringify({ ...JSON.parse(manifest()), extra: 1 }),
      /unknown field\(s\) extra/,
    ],
    ['an unknown collection field', manifest({}, { colour: 'red' }), /unknown field\(s\) colour/],
    ['a negative size', manifest({}, { size: -1 }), /size must be a whole number of at least 0; got -1/],
    ['a fractional point count', manifest({}, { points: 1.5 }), /points must be a whole number/],
    ['a bad checksum', manifest({}, { sha256: 'xyz' }), /sha256 must be a SHA-256/],
    ['a ../ file name', manifest({}, { file: '../etc/passwd' }), /not a plain file name/],
    ['an absolute file name', manifest({}, { file: '/etc/passwd' }), /not a plain file name/],
    ['a nested file name', manifest({}, { file: 'a/b.snapshot' }), /not a plain file name/],
    ['a backslash', manifest({}, { file: 'a\\b.snapshot' }), /not a plain file name/],
    ['the manifest itself as file', manifest({}, { file: 'manifest.json' }), /not a plain file name/],
    ['a collection name with /', manifest({}, { name: 'a/b' }), /not a valid collection name/],
    [
      'duplicate names',
      JSON.stringify({
        ...JSON.parse(manifest()),
        collections: [
          JSON.parse(manifest()).collections[0],
          { ...JSON.parse(manifest()).collections[0], file: 'x.snapshot' },
        ],
      }),
      /lists the name "products" twice/,
    ],
    ['encryption disagreeing', manifest({}, { encrypted: true }), /encrypted does not agree/],
  ])('refuses %s with a message saying what is wrong', (_case, text, message) => {
    expect(() => parseManifest(text)).toThrow(ManifestError);
    expect(() => parseManifest(text)).toThrow(message);
  });

  it('throws nothing but ManifestError for generated junk (property)', () => {
    const valid = JSON.parse(manifest());
    const mutated = fc
      .record({
        key: fc.constantFrom(...Object.keys(valid), ...Object.keys(valid.collections[0])),
        value: fc.jsonValue(),
        inCollection: fc.boolean(),
      })
      .map(({ key, value, inCollection }) => {
        const copy = structuredClone(valid);
        if (inCollection) copy.collections[0][key] = value;
        else copy[key] = value;
        return JSON.stringify(copy);
      });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), mutated), (text) => {
        try {
          parseManifest(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ManifestError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

function v2(collection: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: 'qdrant-snapshot-manifest',
    version: 2,
    created_at: '2026-11-26T10:00:00.000Z',
    qdrant_version: '1.19.0',
    complete: true,
    encryption: null,
    cluster: { peers: 3 },
    collections: [
      {
        name: 'products',
        points: 5,
        aliases: [],
        config: { params: { vectors: { size: 4, distance: 'Cosine' }, shard_number: 2 } },
        payload_schema: { city: { data_type: 'keyword', points: 5 } },
        sharding: { method: 'auto', shard_number: 2, replication_factor: 2, shard_keys: [] },
        level: 'shard',
        files: [
          {
            file: 'products.0.snapshot',
            size: 1,
            sha256: SHA,
            snapshot_size: 1,
            snapshot_sha256: SHA,
            points: 2,
            shard: { id: 0, key: null, peer_id: 7 },
          },
          {
            file: 'products.1.snapshot',
            size: 1,
            sha256: SHA,
            snapshot_size: 1,
            snapshot_sha256: SHA,
            points: 3,
            shard: { id: 1, key: null, peer_id: 8 },
          },
        ],
        fingerprint: null,
        written_during_backup: false,
        ...collection,
      },
    ],
    failed: [],
    ...top,
  });
}

describe('parseManifest (version 2)', () => {
  it('upgrades a version 1 entry: one collection-level file, config.params kept, schema unknown', () => {
    const [entry] = parseManifest(manifest()).collections;
    expect(entry).toEqual({
      name: 'products',
      points: 3,
      aliases: ['products_live'],
      config: { params: { vectors: { size: 4, distance: 'Cosine' } } },
      payload_schema: null,
      sharding: { method: 'auto', shard_number: 1, replication_factor: 1, shard_keys: [] },
      level: 'collection',
      files: [
        {
          file: 'products.snapshot',
          size: 10,
          sha256: SHA,
          snapshot_size: 10,
          snapshot_sha256: SHA,
          points: 3,
        },
      ],
      fingerprint: null,
      written_during_backup: false,
    });
  });

  it('reads a shard-level entry with its shards, cluster and payload schema', () => {
    const parsed = parseManifest(v2());
    expect(parsed.version).toBe(2);
    expect(parsed.cluster).toEqual({ peers: 3 });
    expect(parsed.collections[0]!.files.map((f) => f.shard)).toEqual([
      { id: 0, key: null, peer_id: 7 },
      { id: 1, key: null, peer_id: 8 },
    ]);
    expect(parsed.collections[0]!.payload_schema).toEqual({ city: { data_type: 'keyword', points: 5 } });
  });

  it('round-trips what it reads', () => {
    const parsed = parseManifest(v2());
    expect(parseManifest(JSON.stringify(parsed))).toEqual(parsed);
  });

  it.each([
    [
      'files whose points do not add up',
      v2({ points: 6 }),
      /files hold 5 points but the collection records 6/,
    ],
    [
      'a shard file without its shard',
      v2({ files: [{ file: 'a', size: 1, sha256: SHA, snapshot_size: 1, snapshot_sha256: SHA, points: 5 }] }),
      /shard must be/,
    ],
    ['two files at collection level', v2({ level: 'collection' }), /exactly one file/],
    ['an unknown level', v2({ level: 'segment' }), /level must be "collection" or "shard"/],
    ['no files', v2({ files: [] }), /files must be a non-empty array/],
    [
      'a bad sharding method',
      v2({ sharding: { method: 'x', shard_number: 1, replication_factor: 1, shard_keys: [] } }),
      /method must be "auto" or "custom"/,
    ],
    [
      'a fractional shard key',
      v2({ sharding: { method: 'custom', shard_number: 1, replication_factor: 1, shard_keys: [1.5] } }),
      /shard key/,
    ],
    [
      'a file listed twice',
      v2({
        files: [0, 1].map((id) => ({
          file: 'same',
          size: 1,
          sha256: SHA,
          snapshot_size: 1,
          snapshot_sha256: SHA,
          points: id === 0 ? 2 : 3,
          shard: { id, key: null, peer_id: 1 },
        })),
      }),
      /lists the file "same" twice/,
    ],
    ['a cluster without peers', v2({}, { cluster: {} }), /peers must be a whole number/],
    [
      'a written_during_backup that is not boolean',
      v2({ written_during_backup: 'no' }),
      /written_during_backup must be true or false/,
    ],
  ])('refuses %s', (_case, text, message) => {
    expect(() => parseManifest(text)).toThrow(ManifestError);
    expect(() => parseManifest(text)).toThrow(message);
  });
});
