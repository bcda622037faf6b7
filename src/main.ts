import * as core from '@actions/core';
import { parseInputs, readFromEnv } from './action/inputs.js';
import { markMainFailed } from './action/post-state.js';
import { actionReporter } from './action/reporter.js';
import { stateLedger } from './action/snapshot-state.js';
import { cancelOnSignals } from './core/cancel.js';
import { runAction } from './action/run.js';
import { ACTION_WORDING } from './action/wording.js';
import { ActionError, describeError } from './core/errors.js';
import { AWS_SECRET_VARIABLES } from './storage/s3-settings.js';

const SECRET_INPUTS = ['api-key', 'github-token', 'encryption-key', 'encryption-identity'];

async function main(): Promise<void> {
  const read = readFromEnv(process.env);
  // Masked before anything can print them, even a parse error.
  for (const name of SECRET_INPUTS) {
    const value = read(name);
    if (value) core.setSecret(value);
    // A key file pasted into a secret: each line masked on its own too.
    for (const line of value.split('\n').map((l) => l.trim())) {
      if (line && line !== value && !line.startsWith('#')) core.setSecret(line);
    }
  }
  for (const name of AWS_SECRET_VARIABLES) if (process.env[name]) core.setSecret(process.env[name]);
  const cancellation = cancelOnSignals((name) =>
    core.warning(`${name} received: stopping, deleting the server snapshots this run created.`),
  );
  try {
    await runAction(parseInputs(read), actionReporter, {
      signal: cancellation.signal,
      ledger: stateLedger,
    });
  } catch (error) {
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(describeError(error, ACTION_WORDING));
    // Tells the post step to print the started server's log.
    markMainFailed();
  } finally {
    cancellation.dispose();
  }
}

await main();
