import { ActionError } from '../errors.js';

/**
 * A failure talking to an S3-compatible store. `setting` names what the user should change (an input such
 * as `s3-url`, or an environment variable such as `AWS_ACCESS_KEY_ID`); the message says how.
 */
export class S3Error extends ActionError {
  constructor(
    message: string,
    readonly setting: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the store was asked when it failed, so the message can say so. */
export interface S3ErrorContext {
  /** What we were doing, e.g. "listing s3://bucket/prefix/". */
  doing: string;
  bucket: string;
  /** The custom endpoint, when not AWS. */
  endpoint?: string;
  region: string;
  /** Values that must never appear in a message (secret key, session token, key id). */
  secrets: readonly string[];
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: unknown;
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'XAdminUserNotFound',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);
const REGION_CODES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'InvalidRegion',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
]);

/** The S3 error code of an SDK error, a Node network error code, or the error's name. */
export function s3ErrorCode(error: unknown): string {
  const shape = (error ?? {}) as SdkErrorShape;
  return shape.Code ?? shape.code ?? shape.name ?? 'Error';
}

export function httpStatus(error: unknown): number | undefined {
  return ((error ?? {}) as SdkErrorShape).$metadata?.httpStatusCode;
}

/** True for failures worth another attempt: the network, throttling, the store's own 5xx. */
export function isTransient(error: unknown): boolean {
  const code = s3ErrorCode(error);
  const status = httpStatus(error);
  if (NETWORK_CODES.has(code) || code === 'SlowDown' || code === 'InternalError') return true;
  if (code === 'AbortError' || code === 'NotImplemented') return false;
  if (status !== undefined) return status >= 500 || status === 429 || status === 408;
  // A socket that closed mid-body surfaces without an HTTP status.
  return /socket hang up|ECONNRESET|EPIPE|premature close|aborted|network/i.test(String(describe(error)));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Removes every secret value from text (a store may echo a key id; nothing of ours ever should). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('***');
  }
  return out;
}

/** Turns any failure of an S3 call into an S3Error that names the setting to fix and how. */
export function explainS3Error(error: unknown, context: S3ErrorContext): S3Error {
  if (error instanceof S3Error) return error;
  const code = s3ErrorCode(error);
  const status = httpStatus(error);
  const detail = redact(`${code}${status ? ` (HTTP ${status})` : ''}: ${describe(error)}`, context.secrets);
  const store = context.endpoint ? `the store at ${context.endpoint}` : `AWS S3 (region ${context.region})`;
  const say = (message: string, setting: string) =>
    new S3Error(redact(message[0]!.toUpperCase() + message.slice(1), context.secrets), setting, {
      cause: error,
    });

  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(describe(error))) {
    return say(
      `No AWS credentials found while ${context.doing}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or run aws-actions/configure-aws-credentials before this step.`,
      'AWS_ACCESS_KEY_ID',
    );
  }
  if (CREDENTIAL_CODES.has(code)) {
    return say(
      `${store} refused the credentials while ${context.doing} (${detail}). Check that AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) hold a valid key for this store${context.endpoint ? ' and that s3-endpoint points at the store that issued it' : ''}.`,
      'AWS_ACCESS_KEY_ID',
    );
  }
  if (code === 'NoSuchBucket') {
    return say(
      `The bucket ${context.bucket} does not exist on ${store} (while ${context.doing}). Create it, or correct the bucket in s3-url${context.endpoint ? ' (and check s3-endpoint names the right store)' : ' (and s3-region)'}.`,
      's3-url',
    );
  }
  if (REGION_CODES.has(code) || status === 301) {
    return say(
      `The bucket ${context.bucket} is not in region ${context.region} (while ${context.doing}: ${detail}). Set s3-region (or AWS_REGION) to the bucket's region.`,
      's3-region',
    );
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    return say(
      `${store} denied access while ${context.doing} (${detail}). The credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY need s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on bucket ${context.bucket}; grant them, or use a key that has them.`,
      'AWS_ACCESS_KEY_ID',
    );
  }
  if (NETWORK_CODES.has(code) || (status === undefined && isTransient(error))) {
    return say(
      `Cannot reach ${store} while ${context.doing} (${detail}). ${context.endpoint ? 'Check s3-endpoint and that the store is running and reachable from here.' : 'Check the network, and s3-endpoint if the bucket is not on AWS.'}`,
      context.endpoint ? 's3-endpoint' : 's3-url',
    );
  }
  return say(`${store} failed while ${context.doing}: ${detail}.`, 's3-url');
}
