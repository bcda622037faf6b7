// Parsing of s3-url, s3-endpoint and s3-region, and the wording of S3 errors (no server needed).
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/core/errors.js';
import { PLAIN_WORDING, type Wording } from '../../src/core/wording.js';
import { explainS3Error, S3Error, redact } from '../../src/storage/s3-errors.js';
import { connectS3 } from '../../src/storage/s3-client.js';
import { parseEndpoint, resolveRegion } from '../../src/storage/s3-endpoint.js';
import type { CompleteS3Backup } from '../../src/storage/s3-list.js';
import { presignBackupUrls } from '../../src/storage/s3-presign.js';
import { checkBackupName, joinKey, parseS3Url, s3Uri } from '../../src/storage/s3-url.js';
import { partSizeFor } from '../../src/storage/s3-upload.js';

describe('parseS3Url', () => {
  it.each([
    ['s3://my-backups', { bucket: 'my-backups', prefix: '' }],
    ['s3://my-backups/', { bucket: 'my-backups', prefix: '' }],
    ['s3://my-backups/qdrant/nightly', { bucket: 'my-backups', prefix: 'qdrant/nightly' }],
    ['s3://my-backups/qdrant/nightly/', { bucket: 'my-backups', prefix: 'qdrant/nightly' }],
    ['  s3://b.example.com/p  ', { bucket: 'b.example.com', prefix: 'p' }],
    ['s3://abc/with space/and+plus', { bucket: 'abc', prefix: 'with space/and+plus' }],
  ])('%s', (url, expected) => {
    expect(parseS3Url(url)).toEqual(expected);
  });

  it.each([
    ['my-backups/nightly', /is not an s3:\/\/ URL/],
    ['https://my-backups.s3.amazonaws.com/x', /is not an s3:\/\/ URL/],
    ['s3:/my-backups', /is not an s3:\/\/ URL/],
    ['s3://', /"" is not a valid bucket name/],
    ['s3://My_Bucket/x', /"My_Bucket" is not a valid bucket name/],
    ['s3://ab/x', /"ab" is not a valid bucket name/],
    ['s3://a..b/x', /is not a valid bucket name/],
    ['s3://bucket//x', /empty, '.' or '..' segment/],
    ['s3://bucket/a/../b', /empty, '.' or '..' segment/],
    ['s3://bucket/a\u0001b', /control character/],
    ['s3://bucket?x=1', /is not a valid bucket name|is not an s3/],
  ])('refuses %s, naming s3-url and the fix', (url, pattern) => {
    const error = (() => {
      try {
        parseS3Url(url);
      } catch (e) {
        return e as S3Error;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(S3Error);
    expect(error.setting).toBe('s3-url');
    expect(error.message).toMatch(pattern);
    expect(error.message).toMatch(/^Setting 's3-url' /);
    expect(error.message).toMatch(/Write it as s3:\/\/BUCKET\/PREFIX/);
  });

  it('names the setting by id, so each adapter words it (the CLI says --to or --from)', () => {
    const caught = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        return e as S3Error;
      }
      throw new Error('accepted');
    };
    const asFlag = (flag: string): Wording => ({ ...PLAIN_WORDING, subject: () => flag, name: () => flag });
    expect(
      describeError(
        caught(() => parseS3Url('nope')),
        asFlag('--to'),
      ),
    ).toMatch(/^--to "nope" is not an s3:\/\/ URL/);
    expect(
      describeError(
        caught(() => connectS3({ url: 's3:/x' })),
        asFlag('--from'),
      ),
    ).toMatch(/^--from "s3:\/x" is not an s3:\/\/ URL/);
  });
});

describe('keys and names', () => {
  it('joins keys without empty segments and writes URIs', () => {
    expect(joinKey('', 'b', 'manifest.json')).toBe('b/manifest.json');
    expect(joinKey('p/q', 'b')).toBe('p/q/b');
    expect(s3Uri('bucket', 'p/b', true)).toBe('s3://bucket/p/b/');
    expect(s3Uri('bucket', '', true)).toBe('s3://bucket/');
    expect(s3Uri('bucket', 'p/b/x.snapshot')).toBe('s3://bucket/p/b/x.snapshot');
  });

  it.each(['', '.', '..', 'a/b', 'a\\b', 'x\ny', 'n'.repeat(201)])('refuses the backup name %j', (name) => {
    expect(() => checkBackupName(name)).toThrow(/cannot be a folder under the S3 prefix/);
  });

  it('accepts timestamped names', () => {
    expect(() => checkBackupName('qdrant-2026-06-30T02-00-00Z')).not.toThrow();
  });
});

describe('endpoint and region', () => {
  it('takes http(s) endpoints, without a trailing slash', () => {
    expect(parseEndpoint(undefined)).toBeUndefined();
    expect(parseEndpoint('  ')).toBeUndefined();
    expect(parseEndpoint('http://127.0.0.1:7070/')).toBe('http://127.0.0.1:7070');
    expect(parseEndpoint('https://acct.r2.cloudflarestorage.com')).toBe(
      'https://acct.r2.cloudflarestorage.com',
    );
  });

  it.each(['127.0.0.1:7070', 'ftp://host', 'not a url'])('refuses the endpoint %s', (value) => {
    expect(() => parseEndpoint(value)).toThrow(
      /^Setting 's3-endpoint' .* is not an http\(s\) URL without credentials/,
    );
  });

  it('refuses credentials in the endpoint URL without repeating them', () => {
    const error = (() => {
      try {
        parseEndpoint('https://AKIAEXAMPLE:topsecretvalue@host');
      } catch (e) {
        return e as S3Error;
      }
      throw new Error('accepted');
    })();
    expect(error.message).toMatch(/^Setting 's3-endpoint' holds a user name or password.*AWS_ACCESS_KEY_ID/);
    expect(error.message).not.toContain('topsecretvalue');
    expect(error.message).not.toContain('AKIAEXAMPLE');
  });

  it('takes s3-region, else AWS_REGION, else us-east-1', () => {
    expect(resolveRegion('eu-central-1', { AWS_REGION: 'us-west-2' })).toBe('eu-central-1');
    expect(resolveRegion(undefined, { AWS_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(resolveRegion('', {})).toBe('us-east-1');
    expect(resolveRegion('auto', {})).toBe('auto');
    expect(() => resolveRegion('eu central', {})).toThrow(
      /^Setting 's3-region' "eu central" is not a region name/,
    );
  });
});

describe('part size', () => {
  it('stays at 8 MiB up to ~70 GiB and grows in whole MiB beyond, under 10,000 parts', () => {
    const MIB = 1024 * 1024;
    expect(partSizeFor(0)).toBe(8 * MIB);
    expect(partSizeFor(2 * 1024 * MIB)).toBe(8 * MIB);
    const huge = 500 * 1024 * MIB;
    expect(partSizeFor(huge) % MIB).toBe(0);
    expect(Math.ceil(huge / partSizeFor(huge))).toBeLessThanOrEqual(9000);
  });
});

describe('explainS3Error', () => {
  const context = {
    doing: 'listing s3://bucket/p/',
    bucket: 'bucket',
    region: 'us-east-1',
    secrets: ['AKIASECRETKEYID123', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  };
  const sdkError = (name: string, status: number, message: string) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  it('names the AWS variables for refused credentials, and redacts any echoed key', () => {
    const error = explainS3Error(
      sdkError(
        'InvalidAccessKeyId',
        403,
        'The AWS Access Key Id AKIASECRETKEYID123 does not exist in our records.',
      ),
      context,
    );
    expect(error.variable).toBe('AWS_ACCESS_KEY_ID');
    expect(error.message).toMatch(/^AWS S3 \(region us-east-1\) refused the credentials while listing/);
    expect(error.message).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(and AWS_SESSION_TOKEN/);
    expect(error.message).not.toContain('AKIASECRETKEYID123');
  });

  it('says when no credentials were found at all', () => {
    const error = explainS3Error(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      context,
    );
    expect(error.message).toMatch(
      /^No AWS credentials found while listing .* Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    expect(error.message).toMatch(/aws-actions\/configure-aws-credentials/);
  });

  it('points a wrong region at s3-region, a missing bucket at s3-url, an unreachable store at s3-endpoint', () => {
    expect(explainS3Error(sdkError('PermanentRedirect', 301, 'moved'), context).setting).toBe('s3-region');
    expect(explainS3Error(sdkError('NoSuchBucket', 404, 'nope'), context).setting).toBe('s3-url');
    const refused = explainS3Error(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      {
        ...context,
        endpoint: 'http://127.0.0.1:1',
      },
    );
    expect(refused.setting).toBe('s3-endpoint');
    expect(refused.message).toMatch(/^Cannot reach the store at http:\/\/127.0.0.1:1 .*Check 's3-endpoint'/);
  });

  it('lists the permissions a key needs when access is denied', () => {
    const error = explainS3Error(sdkError('AccessDenied', 403, 'Access Denied'), context);
    expect(error.message).toMatch(/s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject/);
  });

  it('redacts only values long enough to be credentials', () => {
    expect(redact('key abc and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', ['abc', context.secrets[1]!])).toBe(
      'key abc and ***',
    );
  });
});

describe('presignBackupUrls refusals (no request sent)', () => {
  const conn = connectS3({
    url: 's3://bucket/p',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'AKIAEXAMPLEKEY01', secretAccessKey: 'secret-example-value-1234' },
  });
  const backup = (encryption: 'age-scrypt' | null): CompleteS3Backup => ({
    kind: 'complete',
    name: 'b',
    key: 'p/b',
    uri: 's3://bucket/p/b/',
    objects: [],
    time: new Date(),
    manifestText: '{}',
    manifest: {
      format: 'qdrant-snapshot-manifest',
      version: 2,
      created_at: new Date().toISOString(),
      qdrant_version: '1.19.0',
      complete: true,
      encryption,
      cluster: null,
      collections: [],
      failed: [],
    },
  });

  it('refuses an encrypted backup: Qdrant cannot decrypt what it pulls', async () => {
    await expect(presignBackupUrls(conn, backup('age-scrypt'))).rejects.toThrow(
      /is encrypted \(age-scrypt\).*Use restore-method: upload/,
    );
  });

  it('refuses an expiry SigV4 cannot sign', async () => {
    await expect(presignBackupUrls(conn, backup(null), { expiresInSeconds: 8 * 24 * 3600 })).rejects.toThrow(
      /1 second to 7 days/,
    );
  });
});
