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

describe('parseManifest', () => {
  it('reads a valid manifest', () => {
    const parsed = parseManifest(manifest());
    expect(parsed.collections[0]).toMatchObject({ name: 'products', points: 3, aliases: ['products_live'] });
  });

  it.each([
    ['not JSON', '{"format": ', /not valid JSON/],
    ['truncated', manifest().slice(0, 60), /not valid JSON/],
    ['another format', manifest({ format: 'x' as never }), /format "x"; expected "qdrant-snapshot-manifest"/],
    ['an unknown version', manifest({ version: 2 as never }), /version 2; this release reads version 1/],
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
