import { ActionError } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import { startBinary } from './binary.js';
import { startDocker } from './docker.js';
import { redact } from './log.js';
import { waitForReady } from './ready.js';
import type { StartOptions } from './state.js';

/** Lines of the server log a readiness failure shows. */
export const START_LOG_LINES = 50;

/** Starts a Qdrant for the job (docker or binary) and waits until it is ready; returns its REST URL. */
export async function startServer(options: StartOptions, reporter: Reporter): Promise<string> {
  const server =
    options.kind === 'docker' ? await startDocker(options, reporter) : await startBinary(options, reporter);
  const timeoutMs = options.startTimeoutSeconds * 1000;
  const result = await waitForReady(server.url, { timeoutMs, exited: server.exited });
  if (result.ready) {
    reporter.info(
      `${server.label} is ready at ${server.url} after ${(result.elapsedMs / 1000).toFixed(1)} s.`,
    );
    return server.url;
  }
  const tail = redact(await server.logTail(START_LOG_LINES), options.apiKey).trim() || '(the log is empty)';
  const what = result.exited
    ? `${server.label} stopped before it was ready: ${result.reason}.`
    : `${server.label} did not answer ${server.url}/readyz within ${options.startTimeoutSeconds} s (start-timeout; ${result.reason}). If the runner is just slow, raise start-timeout.`;
  throw new ActionError(`${what}\nLast ${START_LOG_LINES} lines of its log:\n${tail}`);
}
