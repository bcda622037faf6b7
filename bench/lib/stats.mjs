// Medians, spreads and the Markdown table.

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const MIB = 1024 * 1024;

/** Formats one value of a row in its unit. */
export function format(value, unit) {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ms':
      return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${(value / 1000).toFixed(2)} s`;
    case 'ratio':
      return `${value.toFixed(2)}×`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case 'MiB/s':
      return `${value.toFixed(0)} MiB/s`;
    case 'bytes':
      return value >= MIB ? `${(value / MIB).toFixed(1)} MiB` : `${(value / 1024).toFixed(1)} KiB`;
    case '%':
      return `${value.toFixed(1)} %`;
    case 's':
      return `${value.toFixed(2)} s`;
    default:
      return String(value);
  }
}

/**
 * @typedef {{ scenario: string, label: string, values: number[], unit: string,
 *   target?: { max: number, text: string } }} Row
 */

/** Whether the row meets its target ('' when it has none). */
export function verdict(row, checkTargets) {
  if (!row.target) return '';
  if (!checkTargets) return 'not checked';
  const m = median(row.values);
  if (!Number.isFinite(m)) return 'n/a';
  return m <= row.target.max ? '**met**' : '**missed**';
}

/** The results as a Markdown table. */
export function markdownTable(rows, checkTargets) {
  const out = [
    '| # | Measure | Median | Min – max (runs) | Target | Result |',
    '| --- | --- | ---: | ---: | --- | --- |',
  ];
  for (const row of rows) {
    const finite = row.values.filter((v) => Number.isFinite(v));
    const spread =
      finite.length > 1
        ? `${format(Math.min(...finite), row.unit)} – ${format(Math.max(...finite), row.unit)} (${finite.length})`
        : `(${finite.length})`;
    out.push(
      `| ${row.scenario} | ${row.label} | ${format(median(row.values), row.unit)} | ${spread} | ${row.target?.text ?? ''} | ${verdict(row, checkTargets)} |`,
    );
  }
  return out.join('\n');
}
