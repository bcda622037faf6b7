import type { Report } from '../core/report.js';

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
