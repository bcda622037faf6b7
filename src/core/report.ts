import { storedBytes } from '../backup-format/manifest.js';
import type { BackupResult } from './backup.js';
import { formatBytes, formatCount, formatDuration } from '../util/format.js';
import type { RestoreResult } from './restore.js';

/**
 * One table for the job summary, the log or the terminal: a header row, data rows (failures among them,
 * and again in `failures` so a long report can show them first), a total row, notes, and a one-line result.
 */
export interface Report {
  title: string;
  lines: string[];
  header: string[];
  /** Per column: numbers are right-aligned. */
  align: ('left' | 'right')[];
  rows: string[][];
  /** The rows of collections that failed (or did not verify). */
  failures: string[][];
  total?: string[];
  notes: string[];
  /** The outcome in one line, for the end of the log. */
  result: string;
}

const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/** An error message as a table cell: one line, without the closing period a sentence around it adds. */
export function errorCell(error: string): string {
  return error.replace(/\s+/g, ' ').replace(/[.\s]+$/, '');
}

/** The backup as a table; `notes` are the adapter's own (where the backup was stored). */
export function backupReport(result: BackupResult, notes: string[] = []): Report {
  const failed = result.failed.length > 0;
  const rows = result.collections.map((c) => [
    c.name,
    formatCount(c.points),
    formatBytes(storedBytes(c)),
    formatDuration(c.durationMs),
    c.files.length === 1 ? `${c.files[0]!.sha256.slice(0, 12)}…` : `${c.files.length} shard files`,
    ...(failed ? [''] : []),
  ]);
  const failures = result.failed.map((f) => [f.name, '—', '—', '—', '—', `❌ ${errorCell(f.error)}`]);
  const allNotes = [`Manifest: \`${result.manifestPath}\``];
  if (result.manifest.encryption)
    allNotes.push(`Snapshot files are encrypted (${result.manifest.encryption}).`);
  allNotes.push(...notes);
  const saved = `${plural(result.collections.length, 'collection')}, ${plural(result.points, 'point')}, ${formatBytes(result.bytes)}`;
  return {
    title: 'Qdrant backup',
    lines: [
      `Qdrant ${result.qdrantVersion}: ${plural(result.collections.length, 'collection')} backed up to \`${result.path}\`.`,
    ],
    header: ['Collection', 'Points', 'Size', 'Duration', 'SHA-256', ...(failed ? ['Error'] : [])],
    align: ['left', 'right', 'right', 'right', 'left', 'left'],
    rows: [...rows, ...failures],
    failures,
    total: [
      '**Total**',
      formatCount(result.points),
      formatBytes(result.bytes),
      '',
      '',
      ...(failed ? [''] : []),
    ],
    notes: allNotes,
    result: failed
      ? `Backup incomplete: ${formatCount(result.failed.length)} of ${formatCount(result.failed.length + result.collections.length)} collections failed (${result.failed.map((f) => f.name).join(', ')}); saved ${saved}.`
      : `Backup complete: ${saved}.`,
  };
}

export function restoreReport(result: RestoreResult, source: string, notes: string[] = []): Report {
  const cells = result.collections.map((c) => {
    const bad = c.outcome === 'failed' || (c.verify !== undefined && !c.verify.ok);
    const mark =
      c.outcome === 'failed'
        ? `❌ ${errorCell(c.error ?? 'failed')}`
        : c.outcome === 'skipped'
          ? '⏭️ skipped (exists)'
          : c.verify
            ? c.verify.ok
              ? '✅ verified'
              : `❌ ${errorCell(c.verify.problems.join('; '))}`
            : '✅ restored (not verified)';
    const row = [
      c.target === c.name ? c.name : `${c.name} → ${c.target}`,
      formatCount(c.points),
      formatBytes(c.size),
      formatDuration(c.durationMs),
      mark,
    ];
    return { row, bad };
  });
  const count = (outcome: string) => result.collections.filter((c) => c.outcome === outcome).length;
  const bad = cells.filter((c) => c.bad).length;
  const restored = count('restored');
  const skipped = count('skipped');
  const parts = [
    `${plural(restored, 'collection')} restored`,
    ...(skipped ? [`${formatCount(skipped)} skipped (they exist)`] : []),
    `${plural(result.points, 'point')}`,
  ].join(', ');
  return {
    title: 'Qdrant restore',
    lines: [
      `Backup of Qdrant ${result.manifest.qdrant_version} from ${result.manifest.created_at} (${source}) restored into Qdrant ${result.qdrantVersion}.`,
    ],
    header: ['Collection', 'Points', 'Size', 'Duration', 'Result'],
    align: ['left', 'right', 'right', 'right', 'left'],
    rows: cells.map((c) => c.row),
    failures: cells.filter((c) => c.bad).map((c) => c.row),
    total: [
      '**Total**',
      formatCount(result.points),
      formatBytes(result.collections.reduce((sum, c) => sum + c.size, 0)),
      '',
      '',
    ],
    notes: [verificationNote(result), ...notes],
    result: bad
      ? `Restore failed: ${formatCount(bad)} of ${formatCount(result.collections.length)} collections failed or did not verify; ${parts}.`
      : `Restore complete: ${parts}; ${restored === 0 ? 'nothing to verify' : result.verified ? 'all verified' : 'not verified (verification off)'}.`,
  };
}

/** Whether the restore verified: "false" only when something was checked and did not match. */
function verificationNote(result: RestoreResult): string {
  const restored = result.collections.filter((c) => c.outcome === 'restored');
  const failed = result.collections.some((c) => c.outcome === 'failed');
  if (restored.length === 0 && !failed) {
    return 'Nothing to verify: no collection was restored (every one was skipped because it exists).';
  }
  if (restored.length > 0 && restored.every((c) => c.verify === undefined) && !failed) {
    return 'Not verified: verification was turned off.';
  }
  return `Verified: **${result.verified}**`;
}
