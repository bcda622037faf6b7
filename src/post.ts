import * as core from '@actions/core';
import { runPost } from './action/post.js';
import { ACTION_WORDING } from './action/wording.js';
import { describeError } from './core/errors.js';

// Post step: stop whatever the main step started (and only that), showing its log when the job failed.
try {
  await runPost();
} catch (error) {
  core.warning(`Stopping the Qdrant started by this action failed: ${describeError(error, ACTION_WORDING)}`);
}
