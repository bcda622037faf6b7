import * as core from '@actions/core';
import { runAction } from './action/run.js';
import { actionReporter } from './action/reporter.js';
import { ActionError, describeError } from './core/errors.js';
import { parseInputs, readFromEnv } from './action/inputs.js';
import { markMainFailed } from './server/start.js';

const SECRET_INPUTS = ['api-key', 'github-token', 'encryption-key'];

async function main(): Promise<void> {
  const read = readFromEnv(process.env);
  // Masked before anything can print them, even a parse error.
  for (const name of SECRET_INPUTS) {
    const value = read(name);
    if (value) core.setSecret(value);
  }
  try {
    const options = parseInputs(read);
    await runAction(options, actionReporter);
  } catch (error) {
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(describeError(error));
    // Tells the post step to print the started server's log.
    markMainFailed();
  }
}

await main();
