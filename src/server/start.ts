import { ActionError } from '../errors.js';
import type { Options } from '../inputs.js';
import type { Reporter } from '../reporter.js';

export interface StartedServer {
  url: string;
}

/** Starts a Qdrant for the job (docker or binary) and waits until it is ready. */
export async function startServer(options: Options, _reporter: Reporter): Promise<StartedServer> {
  throw new ActionError(`start: ${options.start} is not available in this build; use start: none with 'url'.`);
}

/** Post step: stops what startServer started. */
export async function stopServer(): Promise<void> {}
