import { describe, expect, it } from 'vitest';
import { reportMarkdown } from '../../src/action/summary.js';
import type { BackupResult } from '../../src/core/backup.js';
import { backupReport } from '../../src/core/report.js';
import { reportText } from '../../src/core/report-text.js';

/** A backup result of `count` collections with long names, `failures` of them failed. */
function result(count: number, failures: number): BackupResult {
  const name = (i: number) => `collection_with_a_rather_long_descriptive_name_${String(i).padStart(4, '0')}`;
  const collections = Array.from({ length: count - failures }, (_, i) => ({
    name: name(i),
    points: 1_234_567 + i,
    aliases: [],
    config: {},
    payload_schema: {},
    sharding: { method: 'auto' as const, shard_number: 1, replication_factor: 1, shard_keys: [] },
    level: 'collection' as const,
    files: [
      {
        file: `${name(i)}.snapshot`,
        size: 5_000_000,
        sha256: 'a'.repeat(64),
        snapshot_size: 5_000_000,
        snapshot_sha256: 'a'.repeat(64),
        points: 1_234_567 + i,
      },
    ],
    fingerprint: null,
    written_during_backup: false,
    durationMs: 1500,
  }));
  const failed = Array.from({ length: failures }, (_, i) => ({
    name: name(count - failures + i),
    error: 'Qdrant answered 500 to POST /collections/x/snapshots: disk on fire. Its log says why.',
  }));
  const points = collections.reduce((sum, c) => sum + c.points, 0);
  return {
    qdrantVersion: '1.19.0',
    path: '/runner/temp/qdrant-snapshots',
    manifestPath: '/runner/temp/qdrant-snapshots/manifest.json',
    manifest: { encryption: null } as BackupResult['manifest'],
    collections,
    failed,
    points,
    bytes: collections.length * 5_000_000,
  };
}

describe('the job summary', () => {
  it('a few collections: one table, numbers right-aligned with separators, an Error column without a doubled period', () => {
    const markdown = reportMarkdown(backupReport(result(3, 1), ['Artifact: x']));
    expect(markdown).toContain('| Collection | Points | Size | Duration | SHA-256 | Error |');
    expect(markdown).toContain('| --- | ---: | ---: | ---: | --- | --- |');
    expect(markdown).toContain('| 1,234,567 |');
    expect(markdown).toMatch(/\| ❌ Qdrant answered 500 [^|]*Its log says why \|/);
    expect(markdown).not.toContain('..');
    expect(markdown).toContain('| **Total** | 2,469,135 |');
    expect(markdown).toContain('**Backup incomplete: 1 of 3 collections failed');
    expect(markdown).not.toContain('<details>');
  });

  it('1,000 collections: under 1 MiB, the totals and failures first, every collection folded', () => {
    const markdown = reportMarkdown(backupReport(result(1000, 3)));
    expect(Buffer.byteLength(markdown)).toBeLessThan(1024 * 1024);
    const totals = markdown.indexOf('| **Total** |');
    const failures = markdown.indexOf('### Failed (3)');
    const folded = markdown.indexOf('<details>');
    expect(totals).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(totals);
    expect(folded).toBeGreaterThan(failures);
    expect(markdown).toContain('<summary>All 1,000 collections</summary>');
    expect(markdown.slice(folded)).toContain('collection_with_a_rather_long_descriptive_name_0999');
    expect(markdown.slice(failures, folded).match(/❌/g)).toHaveLength(3);
  });

  it('100,000 collections: cut to stay under 1 MiB, saying how many more the manifest lists', () => {
    const markdown = reportMarkdown(backupReport(result(100_000, 0)));
    expect(Buffer.byteLength(markdown)).toBeLessThan(1024 * 1024);
    expect(markdown).toMatch(/\| … \d[\d,]* more: see manifest\.json \|/);
  });

  it('the log table right-aligns numbers and ends with the one-line result', () => {
    const text = reportText(backupReport(result(2, 0)));
    const lines = text.split('\n');
    expect(lines.at(-1)).toMatch(/^Backup complete: 2 collections, 2,469,135 points, 9\.5 MiB\.$/);
    const rows = lines.filter((line) => line.startsWith('collection_with'));
    expect(rows[0]!.indexOf('1,234,567')).toBe(rows[1]!.indexOf('1,234,568'));
    const total = lines.find((line) => line.startsWith('Total'))!;
    expect(total.indexOf('2,469,135') + '2,469,135'.length).toBe(rows[0]!.indexOf('1,234,567') + 9);
  });
});
