import { S3Error } from './s3-errors.js';

/** Where backups live: a bucket and a key prefix inside it ('' for the bucket's root, never a trailing '/'). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

// The rules every S3-compatible store shares (AWS's own are stricter; the store has the last word).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True when text holds a control character (C0 or DEL): never part of a key we write. */
function hasControlCharacter(text: string): boolean {
  return [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
}

/**
 * Parses `s3://bucket/prefix` (the `s3-url` setting). The prefix may be empty; a trailing '/' is dropped, so
 * `s3://b/nightly` and `s3://b/nightly/` name the same place.
 */
export function parseS3Url(value: string): S3Location {
  const setting = 's3-url';
  const fix = `Write it as s3://BUCKET/PREFIX, for example s3://my-backups/qdrant/nightly.`;
  const text = value.trim();
  const match = /^s3:\/\/([^/?#]*)(?:\/(.*))?$/.exec(text);
  if (!match) {
    throw new S3Error(`${setting} ${JSON.stringify(value)} is not an s3:// URL. ${fix}`);
  }
  const bucket = match[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new S3Error(
      `${setting} ${JSON.stringify(value)}: ${JSON.stringify(bucket)} is not a valid bucket name (3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit). ${fix}`,
    );
  }
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  const segments = prefix === '' ? [] : prefix.split('/');
  const bad = segments.find((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad !== undefined || hasControlCharacter(prefix)) {
    throw new S3Error(
      `${setting} ${JSON.stringify(value)}: the prefix ${JSON.stringify(prefix)} has an empty, '.' or '..' segment or a control character. ${fix}`,
    );
  }
  if (prefix.length > 900) {
    throw new S3Error(`${setting}: the prefix is longer than 900 characters; S3 keys hold 1024 at most.`);
  }
  return { bucket, prefix };
}

/** Joins key segments with '/', skipping empty ones (the bucket root has the empty prefix). */
export function joinKey(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/** `s3://bucket/key`; a folder-like key gets its trailing '/'. */
export function s3Uri(bucket: string, key = '', folder = false): string {
  return `s3://${bucket}/${key}${folder && key !== '' ? '/' : ''}`;
}

/** A backup's name is one key segment under the prefix: refused when it could be read as a path. */
export function checkBackupName(name: string): void {
  if (
    name.length === 0 ||
    name.length > 200 ||
    name.includes('/') ||
    name === '.' ||
    name === '..' ||
    name.includes('\\') ||
    hasControlCharacter(name)
  ) {
    throw new S3Error(
      `The backup name ${JSON.stringify(name)} cannot be a folder under the S3 prefix (1 to 200 characters, no '/', '\\' or control characters, not '.' or '..'). Give the backup folder a plain name.`,
    );
  }
}
