import * as core from '@actions/core';
import type { Report } from '../core/report.js';

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

/** Appends the report to the job summary. */
export async function writeSummary(report: Report): Promise<void> {
  await core.summary.addRaw(reportMarkdown(report)).write();
}
