import * as core from '@actions/core';
import { formatBytes, formatRate } from './format.js';
import type { Reporter } from './reporter.js';

/** The Reporter of the GitHub Action: runner log commands through @actions/core. */
export const actionReporter: Reporter = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
  // Groups cannot nest or interleave in the runner log; with concurrency > 1 the lines of parallel
  // collections would land in the wrong group, so each line is prefixed instead.
  group: (_title, fn) => fn(),
  progress: (collection, verb, done, total, rate) =>
    core.info(
      `${collection}: ${formatBytes(done)}${total ? ` of ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)` : ''} ${verb}, ${formatRate(rate)}`,
    ),
};
