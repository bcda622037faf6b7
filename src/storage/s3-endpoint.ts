// The store's endpoint and region, validated where the settings are parsed: no AWS SDK here, so the
// settings parse without loading it (it is loaded only when a run uses S3).
import { S3Error } from './s3-errors.js';

const DEFAULT_REGION = 'us-east-1';

/** `s3-region`, else AWS_REGION, else us-east-1. */
export function resolveRegion(region: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = (region?.trim() || env.AWS_REGION?.trim() || DEFAULT_REGION).toLowerCase();
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(value)) {
    throw new S3Error(
      `s3-region ${JSON.stringify(value)} is not a region name such as us-east-1, eu-central-1 or auto (R2). Set s3-region (or AWS_REGION) to the bucket's region.`,
    );
  }
  return value;
}

/** `s3-endpoint` as an http(s) origin (with an optional path), or an error naming the setting. */
export function parseEndpoint(endpoint: string | undefined): string | undefined {
  const text = endpoint?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid://');
  }
  if (url.username || url.password) {
    // Not echoed: the value holds a credential.
    throw new S3Error(
      's3-endpoint holds a user name or password; give the endpoint alone (https://HOST[:PORT]) and put the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new S3Error(
      `s3-endpoint ${JSON.stringify(text)} is not an http(s) URL without credentials, such as https://ACCOUNT.r2.cloudflarestorage.com or http://127.0.0.1:7070. Credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.`,
    );
  }
  return url.href.replace(/\/$/, '');
}
