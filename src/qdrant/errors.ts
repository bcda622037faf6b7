import { ActionError } from '../core/errors.js';
import { say, setting, type Message } from '../core/wording.js';

/**
 * A request to Qdrant that failed. The message carries the HTTP status, Qdrant's own error text, the
 * request path and a hint on what to do; it never carries the api-key.
 */
export class QdrantError extends ActionError {
  constructor(
    message: string | Message,
    readonly details: {
      method: string;
      path: string;
      status?: number;
      qdrantMessage?: string;
      code?: string;
      retryAfterMs?: number;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** Worth another attempt: the connection broke, or the server said it is busy or failing. */
  get retryable(): boolean {
    const { status, code } = this.details;
    // Without a status, only a broken or refused connection is worth another attempt: an error nobody
    // recognised (a bug, a transform that throws) would fail the same way again.
    if (status === undefined) return code !== undefined && isRetryableCode(code);
    // Qdrant answers 500 to an upload it cannot read (a malformed tar): sending it again cannot help.
    if (status === 500 && this.details.path.endsWith('/snapshots/upload')) return false;
    return status === 429 || status === 408 || status >= 500;
  }
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The error code of a network failure, looking through undici's `cause` chain. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A network failure code worth another attempt (TLS handshake failures are not: they fail the same way). */
export function isRetryableCode(code: string): boolean {
  return CONNECTION_CODES.has(code);
}

export function isConnectionError(error: unknown): boolean {
  const code = networkCode(error);
  if (code && (CONNECTION_CODES.has(code) || code.startsWith('ERR_SSL'))) return true;
  return error instanceof Error && /terminated|other side closed|socket hang up/i.test(error.message);
}

/** The hint appended to a failed request, by status. */
export function hintFor(status: number, url: string, method: string, route = ''): Message {
  if (status === 401)
    return say`Check ${setting('api-key')}: the server requires one, or the one given is wrong.`;
  if (status === 403) {
    return method === 'GET'
      ? [
          'The key lacks read access to this resource; use a key with access to the collections being backed up.',
        ]
      : /\/snapshots\/(upload|recover)$/.test(route)
        ? say`Restoring needs manage access to the whole server: a read-only key, a collection-scoped key or a JWT whose access lists collections can back up but not restore. Use a key with global manage access in ${setting('api-key')}.`
        : say`The key is read-only or limited: creating snapshots (backup) needs write access to the collection, restoring needs manage access. Use a key with those rights in ${setting('api-key')}.`;
  }
  if (status === 413)
    // Qdrant's max_request_size_mb does not apply to snapshot uploads: what refused is in front of it.
    return [
      'Something between here and Qdrant refused the request size (a reverse proxy or ingress: nginx client_max_body_size, an ingress proxy-body-size annotation, a cloud load balancer limit); Qdrant does not limit snapshot uploads. Raise that limit, or reach Qdrant without the proxy.',
    ];
  if (status === 429)
    return say`The server is rate limiting; lower ${setting('concurrency')} or retry later.`;
  if (status >= 500) return [`Qdrant at ${url} failed internally; its log says why.`];
  return [];
}
