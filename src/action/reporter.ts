import * as core from '@actions/core';
import type { Reporter } from '../core/reporter.js';
import { formatProgress } from '../util/format.js';
import { ACTION_WORDING } from './wording.js';

/** The Reporter of the GitHub Action: runner log commands through @actions/core. */
export const actionReporter: Reporter = {
  wording: ACTION_WORDING,
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
  // Runner log groups cannot interleave: each collection's lines are kept and written as one group when
  // it is done, while progress lines and warnings appear live.
  group: async (title, fn) => {
    const lines: string[] = [];
    try {
      return await fn({ ...actionReporter, info: (message) => lines.push(message) });
    } finally {
      core.startGroup(title);
      for (const line of lines) core.info(line);
      core.endGroup();
    }
  },
  progress: (...args) => core.info(formatProgress(...args)),
};
