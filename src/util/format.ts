/** Human-readable sizes, rates and durations for logs and summaries. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A transfer's progress in one line: "products: 1.2 GiB of 2.0 GiB (60%) downloaded, 410.3 MiB/s". */
export function formatProgress(
  collection: string,
  verb: string,
  done: number,
  total: number | undefined,
  bytesPerSecond: number,
): string {
  const of = total ? ` of ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)` : '';
  return `${collection}: ${formatBytes(done)}${of} ${verb}, ${formatRate(bytesPerSecond)}`;
}
