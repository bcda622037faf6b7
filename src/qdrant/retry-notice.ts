import { QdrantError } from './errors.js';

/**
 * What went wrong, in a few words, for the line that announces a retry: the full error (with its advice) is
 * said once, when the last attempt fails too.
 */
export function retryReason(error: QdrantError, url: string): string {
  const { status, code, method, path } = error.details;
  if (status === 429) return `Qdrant at ${url} is rate limiting (429 to ${method} ${path})`;
  if (status !== undefined) return `Qdrant at ${url} answered ${status} to ${method} ${path}`;
  if (code === 'ECONNREFUSED') return `Qdrant at ${url} refused the connection`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `The host name ${new URL(url).hostname} does not resolve (${code})`;
  }
  return `The connection to ${url} broke during ${method} ${path} (${code ?? 'no code'})`;
}

/**
 * Announces the retries of one operation once per reason: returns the note for the first retry of each
 * reason ("retrying in 1.2 s (attempt 2 of 5)."), undefined for the next ones of the same reason.
 */
export function retryAnnouncer(url: string, attempts: number) {
  let last: string | undefined;
  return (error: QdrantError, attempt: number, delayMs: number): string | undefined => {
    const reason = retryReason(error, url);
    if (reason === last) return undefined;
    last = reason;
    return `retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attempts}).`;
  };
}
