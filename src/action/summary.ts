import * as core from '@actions/core';
import type { Report } from '../core/report.js';

/** GitHub refuses a job summary over 1 MiB; what is left under this budget goes to the folded table. */
const SUMMARY_BUDGET_BYTES = 900 * 1024;
/** Up to this many collections, one table; beyond, totals and failures first and the rest folded. */
const FOLD_AFTER_ROWS = 20;

function table(report: Report, rows: string[][], budget = Infinity): string[] {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `| ${report.header.join(' | ')} |`,
    `| ${report.header.map((_, i) => (report.align[i] === 'right' ? '---:' : '---')).join(' | ')} |`,
  ];
  let size = 0;
  for (const [i, row] of rows.entries()) {
    const line = `| ${row.map(escape).join(' | ')} |`;
    size += Buffer.byteLength(line) + 1;
    if (size > budget) {
      lines.push(
        `| … ${rows.length - i} more: see manifest.json |${' |'.repeat(Math.max(report.header.length - 1, 0))}`,
      );
      break;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Markdown for the job summary. A few collections: one table with the total. Many (a 1,000-collection
 * backup): the totals, then the failures, then every collection folded in <details>, cut to stay under
 * GitHub's 1 MiB limit.
 */
export function reportMarkdown(report: Report): string {
  const head = [`## ${report.title}`, '', ...report.lines, '', `**${report.result}**`, ''];
  const notes = ['', ...report.notes.map((note) => `${note}  `), ''];
  const total = report.total ? [report.total] : [];
  if (report.rows.length <= FOLD_AFTER_ROWS) {
    return [...head, ...table(report, [...report.rows, ...total]), ...notes].join('\n');
  }
  const parts = [...head, ...table(report, total)];
  if (report.failures.length > 0) {
    parts.push('', `### Failed (${report.failures.length.toLocaleString('en-US')})`, '');
    parts.push(...table(report, report.failures, SUMMARY_BUDGET_BYTES / 4));
  }
  parts.push(...notes);
  const used = Buffer.byteLength(parts.join('\n'));
  parts.push(
    '<details>',
    `<summary>All ${report.rows.length.toLocaleString('en-US')} collections</summary>`,
    '',
    ...table(report, report.rows, SUMMARY_BUDGET_BYTES - used),
    '',
    '</details>',
    '',
  );
  return parts.join('\n');
}

/** Appends the report to the job summary. */
export async function writeSummary(report: Report): Promise<void> {
  await core.summary.addRaw(reportMarkdown(report)).write();
}
