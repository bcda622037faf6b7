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
  // Several collections run at once and runner log groups cannot interleave: a group written when its
  // collection is done hides a long snapshot's progress until the end, and holds one line. So every event
  // is one line, live, prefixed with its collection (as progress lines are): the log reads in order,
  // `grep products` finds a collection's story, and the closing table gives the overview.
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
  collection: (subject, fn) =>
    fn({
      ...actionReporter,
      info: (message) => core.info(`${subject}: ${message}`),
      warning: (message) => core.warning(`${subject}: ${message}`),
    }),
  progress: (...args) => core.info(formatProgress(...args)),
};
