import { ActionError } from '../core/errors.js';
import { setting, settingValue, subject, type Message, type SettingId } from '../core/wording.js';

const S3_SETTINGS =
  /(?<![\w/-])(s3-url|s3-endpoint|s3-region|keep-days|restore-method)(?:: (upload|url))?(?![\w/-])/g;

/**
 * A message whose S3 settings (s3-url, s3-endpoint, ...) become setting ids, so each adapter words them
 * its own way (the action: 's3-url'; the CLI: --to / --from).
 */
export function s3Message(text: string): Message {
  const parts: (string | ReturnType<typeof setting>)[] = [];
  let last = 0;
  for (const match of text.matchAll(S3_SETTINGS)) {
    parts.push(text.slice(last, match.index));
    const id = match[1] as SettingId;
    // A sentence that opens with a setting is about the value it got: "Input 's3-region'", "--s3-region".
    parts.push(match[2] ? settingValue(id, match[2]) : match.index === 0 ? subject(id) : setting(id));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts.filter((part) => part !== '');
}

/**
 * A failure talking to an S3-compatible store. Its `setting` is the first setting the message names;
 * `variable` the AWS environment variable to fix (AWS_ACCESS_KEY_ID) when the credentials are the cause.
 */
export class S3Error extends ActionError {
  readonly variable?: string;

  constructor(message: string | Message, options?: { cause?: unknown; variable?: string }) {
    super(typeof message === 'string' ? s3Message(message) : message, { cause: options?.cause });
    if (options?.variable) this.variable = options.variable;
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
  const say = (message: string, variable?: string) =>
    new S3Error(redact(message[0]!.toUpperCase() + message.slice(1), context.secrets), {
      cause: error,
      ...(variable ? { variable } : {}),
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
    );
  }
  if (REGION_CODES.has(code) || status === 301) {
    return say(
      `The bucket ${context.bucket} is not in region ${context.region} (while ${context.doing}: ${detail}). Set s3-region (or AWS_REGION) to the bucket's region.`,
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
    );
  }
  return say(
    `${store} failed while ${context.doing}: ${detail}. Check s3-url${context.endpoint ? ' and s3-endpoint' : ''}.`,
  );
}
