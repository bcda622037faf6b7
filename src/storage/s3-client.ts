import { S3Client, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-s3';
import type { BuildMiddleware } from '@smithy/types';
import { S3Error, explainS3Error, type S3ErrorContext } from './s3-errors.js';
import { parseEndpoint, resolveRegion } from './s3-endpoint.js';
import { parseS3Url, type S3Location } from './s3-url.js';

/** The S3 settings as the user gave them (`s3-url`, `s3-endpoint`, `s3-region`). */
export interface S3Settings {
  /** `s3://bucket/prefix` */
  url: string;
  /** A store other than AWS (R2, B2, MinIO, versitygw...): path-style addressing is used then. */
  endpoint?: string;
  /** Default: AWS_REGION, else us-east-1. */
  region?: string;
  /** Explicit credentials (tests, benchmarks). Default: the standard AWS chain (AWS_ACCESS_KEY_ID...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per request, network drops and 5xx included (default 5). */
  maxAttempts?: number;
  /** How a malformed `url` is named in the error (default 's3-url'; the CLI passes '--to' or '--from'). */
  urlSetting?: string;
  /** Where AWS_REGION and the credential variables are read for defaults and redaction (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** A configured store and the place in it: what every S3 operation of this module takes. */
export interface S3Connection extends S3Location {
  endpoint?: string;
  region: string;
  /** The client that sends SHA-256 checksums where the store supports them. */
  client: S3Client;
  /** A client that sends no flexible checksums: for stores that refuse them. Made on first use. */
  plainClient(): S3Client;
  /** The S3Error for a failed call, naming the setting to fix; never holds a credential. */
  fail(error: unknown, doing: string): S3Error;
  /** Values removed from every message. */
  secrets: readonly string[];
  /** Closes the clients' sockets. */
  destroy(): void;
}

/** Validates the settings and makes the clients; nothing is sent until the first call. */
export function connectS3(settings: S3Settings): S3Connection {
  const env = settings.env ?? process.env;
  const location = parseS3Url(settings.url);
  const endpoint = parseEndpoint(settings.endpoint);
  const region = resolveRegion(settings.region, env);
  // The SDK warns on Node < 22 about its releases after January 2027; this pinned release runs on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const secrets = [
    settings.credentials?.secretAccessKey,
    settings.credentials?.sessionToken,
    settings.credentials?.accessKeyId,
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
    env.AWS_ACCESS_KEY_ID,
  ].filter((value): value is string => typeof value === 'string' && value.length > 0);

  const make = (checksums: boolean) =>
    new S3Client({
      region,
      endpoint,
      forcePathStyle: endpoint !== undefined,
      credentials: settings.credentials,
      maxAttempts: settings.maxAttempts ?? 5,
      requestChecksumCalculation: checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
      responseChecksumValidation: checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
      // A socket idle this long is dead: fail the attempt and let the retry open another.
      requestHandler: { connectionTimeout: 15_000, requestTimeout: 120_000 },
    });
  const client = make(true);
  // A body that carries an S3 checksum header (signed, checked by the store) needs no second SHA-256 for
  // the signature: UNSIGNED-PAYLOAD then, as over HTTPS. Over a plain-HTTP endpoint the SDK would hash every
  // part once more; dropping it saved ~20 % CPU on both sides of an upload to versitygw (bench/s3.mjs).
  const unsignedPayloadWhenChecksummed: BuildMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      const names = Object.keys(headers).map((name) => name.toLowerCase());
      if (
        names.some((name) => name.startsWith('x-amz-checksum-')) &&
        !names.includes('x-amz-content-sha256')
      ) {
        headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    };
  // 'low' in the build step: after the (per-command) flexible checksums middleware has set its header.
  client.middlewareStack.add(unsignedPayloadWhenChecksummed, {
    step: 'build',
    priority: 'low',
    name: 'unsignedPayloadWhenChecksummed',
  });
  let plain: S3Client | undefined;
  const context = (doing: string): S3ErrorContext => ({
    doing,
    bucket: location.bucket,
    endpoint,
    region,
    secrets,
  });
  return {
    ...location,
    endpoint,
    region,
    client,
    plainClient: () => (plain ??= make(false)),
    fail: (error, doing) => explainS3Error(error, context(doing)),
    secrets,
    destroy() {
      client.destroy();
      plain?.destroy();
    },
  };
}
