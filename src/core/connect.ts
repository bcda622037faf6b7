import { QdrantClient } from '../qdrant/client.js';
import { describeError } from './errors.js';
import type { Reporter } from './reporter.js';

export interface Connection {
  url: string;
  apiKey?: string;
  timeoutSeconds: number;
}

/** The Qdrant client of a run: one deadline per call, retries reported as warnings. */
export function connect(connection: Connection, reporter: Reporter): QdrantClient {
  return new QdrantClient({
    url: connection.url,
    apiKey: connection.apiKey,
    timeoutMs: connection.timeoutSeconds * 1000,
    onRetry: (error, note) => reporter.warning(`${describeError(error, reporter.wording)} ${note}`),
  });
}
