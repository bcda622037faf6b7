import * as core from '@actions/core';
import { stopServer } from '../server/stop.js';
import { loadServerState, mainFailed } from './post-state.js';
import { actionReporter } from './reporter.js';
import { deleteLeftoverSnapshots, leftoverServer } from './snapshot-state.js';
import { connect } from '../core/connect.js';

/** Post step: shows the log (when the main step failed) and stops what the main step started, nothing else. */
export async function runPost(): Promise<void> {
  // The server's log may be printed: the key stays masked even if the runner lost the main step's mask.
  const apiKey = core.getInput('api-key') || undefined;
  if (apiKey) core.setSecret(apiKey);
  // A cancelled main step may have left snapshots on the server: delete them first (only those).
  const leftovers = leftoverServer();
  if (leftovers) {
    const client = connect({ url: leftovers, apiKey, timeoutSeconds: 60 }, actionReporter);
    try {
      await deleteLeftoverSnapshots(client, actionReporter);
    } finally {
      await client.close();
    }
  }
  const state = loadServerState();
  if (!state.kind) return;
  const showLog = mainFailed() || process.env.QDRANT_SNAPSHOT_SHOW_LOG === 'true';
  await stopServer(state, { showLog, apiKey }, actionReporter);
}
