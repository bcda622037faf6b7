import { storedBytes } from '../backup-format/manifest.js';
import type { BackupResult } from './backup.js';
import { formatBytes, formatDuration } from '../util/format.js';
import type { RestoreResult } from './restore.js';

/** One table for the job summary or the terminal: a header row, then data rows, then notes. */
export interface Report {
  title: string;
  lines: string[];
  header: string[];
  rows: string[][];
  notes: string[];
}

/** The backup as a table; `notes` are the adapter's own (where the backup was stored). */
export function backupReport(result: BackupResult, notes: string[] = []): Report {
  const rows = result.collections.map((c) => [
    c.name,
    String(c.points),
    formatBytes(storedBytes(c)),
    c.files.length === 1 ? `${c.files[0]!.sha256.slice(0, 12)}…` : `${c.files.length} shard files`,
    formatDuration(c.durationMs),
  ]);
  for (const failure of result.failed) rows.push([failure.name, '—', '—', '—', `❌ ${failure.error}`]);
  rows.push(['**Total**', String(result.points), formatBytes(result.bytes), '', '']);
  const allNotes = [`Manifest: \`${result.manifestPath}\``];
  if (result.manifest.encryption) allNotes.push('Snapshot files are encrypted with age.');
  allNotes.push(...notes);
  if (result.failed.length > 0) allNotes.push(`⚠️ Incomplete: ${result.failed.length} collection(s) failed.`);
  return {
    title: 'Qdrant backup',
    lines: [
      `Qdrant ${result.qdrantVersion}: ${result.collections.length} collection(s) backed up to \`${result.path}\`.`,
    ],
    header: ['Collection', 'Points', 'Size', 'SHA-256', 'Duration'],
    rows,
    notes: allNotes,
  };
}

export function restoreReport(result: RestoreResult, source: string): Report {
  const rows = result.collections.map((c) => {
    const mark =
      c.outcome === 'failed'
        ? `❌ ${c.error ?? 'failed'}`
        : c.outcome === 'skipped'
          ? '⏭️ skipped (exists)'
          : c.verify
            ? c.verify.ok
              ? '✅ verified'
              : `❌ ${c.verify.problems.join('; ')}`
            : '✅ restored (not verified)';
    return [
      c.target === c.name ? c.name : `${c.name} → ${c.target}`,
      String(c.points),
      formatBytes(c.size),
      formatDuration(c.durationMs),
      mark,
    ];
  });
  return {
    title: 'Qdrant restore',
    lines: [
      `Backup of Qdrant ${result.manifest.qdrant_version} from ${result.manifest.created_at} (${source}) restored into Qdrant ${result.qdrantVersion}.`,
    ],
    header: ['Collection', 'Points', 'Size', 'Duration', 'Result'],
    rows,
    notes: [`Verified: **${result.verified}**`],
  };
}
