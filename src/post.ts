import * as core from '@actions/core';
import { describeError } from './core/errors.js';
import { stopServer } from './server/start.js';

// Post step: stop whatever the main step started (and only that), showing its log when the job failed.
try {
  await stopServer();
} catch (error) {
  core.warning(`Stopping the Qdrant started by this action failed: ${describeError(error)}`);
}
