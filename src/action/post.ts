import * as core from '@actions/core';
import { stopServer } from '../server/stop.js';
import { loadServerState, mainFailed } from './post-state.js';
import { actionReporter } from './reporter.js';

/** Post step: shows the log (when the main step failed) and stops what the main step started, nothing else. */
export async function runPost(): Promise<void> {
  const state = loadServerState();
  if (!state.kind) return;
  // The server's log may be printed: the key stays masked even if the runner lost the main step's mask.
  const apiKey = core.getInput('api-key') || undefined;
  if (apiKey) core.setSecret(apiKey);
  const showLog = mainFailed() || process.env.QDRANT_SNAPSHOT_SHOW_LOG === 'true';
  await stopServer(state, { showLog, apiKey }, actionReporter);
}
