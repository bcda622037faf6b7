import type { Reporter } from '../core/reporter.js';
import { formatBytes, formatProgress, formatRate } from '../util/format.js';
import { CLI_WORDING } from './wording.js';

/**
 * The CLI's Reporter: messages on stderr (stdout is for results), progress as a bar that redraws itself
 * on a terminal, as plain lines otherwise.
 */
export function terminalReporter(): Reporter {
  const tty = Boolean(process.stderr.isTTY);
  let barVisible = false;
  const clearBar = () => {
    if (barVisible) process.stderr.write('\r\x1b[K');
    barVisible = false;
  };
  const reporter: Reporter = {
    wording: CLI_WORDING,
    info: (message) => {
      clearBar();
      console.error(message);
    },
    warning: (message) => {
      clearBar();
      console.error(`warning: ${message}`);
    },
    debug: (message) => {
      if (process.env.QDRANT_SNAPSHOT_DEBUG) console.error(`debug: ${message}`);
    },
    group: (_title, fn) => fn(reporter),
    progress: (collection, verb, done, total, rate) => {
      if (!tty) {
        console.error(formatProgress(collection, verb, done, total, rate));
        return;
      }
      const percent = total ? Math.floor((done / total) * 100) : undefined;
      const width = 24;
      const filled = percent === undefined ? 0 : Math.round((percent / 100) * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      process.stderr.write(
        `\r\x1b[K${collection} ${bar} ${percent ?? '?'}% ${formatBytes(done)} ${verb}, ${formatRate(rate)}`,
      );
      barVisible = true;
      if (total !== undefined && done >= total) clearBar();
    },
  };
  return reporter;
}
