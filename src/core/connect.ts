import { QdrantClient } from '../qdrant/client.js';
import { retryReason } from '../qdrant/retry-notice.js';
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
    // The reason in a few words; the full error (with its advice) is said once, if the last attempt fails.
    onRetry: (error, note) => reporter.warning(`${retryReason(error, connection.url)}; ${note}`),
  });
}
