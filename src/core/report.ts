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

export function backupReport(
  result: BackupResult,
  artifact?: { name: string; id: number; size: number },
): Report {
  const rows = result.collections.map((c) => [
    c.name,
    String(c.points),
    formatBytes(c.size),
    `${c.sha256.slice(0, 12)}…`,
    formatDuration(c.durationMs),
  ]);
  for (const failure of result.failed) rows.push([failure.name, '—', '—', '—', `❌ ${failure.error}`]);
  rows.push(['**Total**', String(result.points), formatBytes(result.bytes), '', '']);
  const notes = [`Manifest: \`${result.manifestPath}\``];
  if (result.manifest.encryption)
    notes.push('Snapshot files are encrypted with age (passphrase from `encryption-key`).');
  if (artifact)
    notes.push(`Artifact: **${artifact.name}** (id ${artifact.id}, ${formatBytes(artifact.size)})`);
  else notes.push('Artifact: not uploaded (`artifact: false`); the backup is in the folder above.');
  if (result.failed.length > 0) notes.push(`⚠️ Incomplete: ${result.failed.length} collection(s) failed.`);
  return {
    title: 'Qdrant backup',
    lines: [
      `Qdrant ${result.qdrantVersion}: ${result.collections.length} collection(s) backed up to \`${result.path}\`.`,
    ],
    header: ['Collection', 'Points', 'Size', 'SHA-256', 'Duration'],
    rows,
    notes,
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

/** Markdown for the job summary. */
export function reportMarkdown(report: Report): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `## ${report.title}`,
    '',
    ...report.lines,
    '',
    `| ${report.header.join(' | ')} |`,
    `| ${report.header.map(() => '---').join(' | ')} |`,
    ...report.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
    '',
    ...report.notes.map((note) => `${note}  `),
    '',
  ].join('\n');
}

/** Aligned plain text for a terminal. */
export function reportText(report: Report): string {
  const plain = (cell: string) => cell.replace(/\*\*/g, '').replace(/`/g, '');
  const table = [report.header, ...report.rows].map((row) => row.map(plain));
  const widths = report.header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    report.title,
    ...report.lines.map(plain),
    '',
    format(table[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...table.slice(1).map(format),
    '',
    ...report.notes.map(plain),
  ].join('\n');
}
