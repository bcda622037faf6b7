// The S3 settings as the action and the CLI parse them (no server needed).
import { describe, expect, it } from 'vitest';
import { parseInputs } from '../../src/action/inputs.js';
import { ACTION_WORDING } from '../../src/action/wording.js';
import { cliWording } from '../../src/cli/wording.js';
import { InputError, describeError } from '../../src/core/errors.js';
import { parseS3Settings, S3_DEFAULTS } from '../../src/storage/s3-settings.js';

const reader = (values: Record<string, string>) => (id: string) => values[id] ?? '';

function refusal(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('accepted');
}

describe('S3 settings', () => {
  it('take their defaults: no S3, keep all, restore by upload', () => {
    expect(parseS3Settings(reader({}), 'backup', {})).toEqual({
      url: undefined,
      endpoint: undefined,
      region: undefined,
      keep: 0,
      keepDays: 0,
      restoreMethod: 'upload',
    });
    expect(S3_DEFAULTS.keep).toBe('0');
  });

  it('parse a full backup setting', () => {
    const s3 = parseS3Settings(
      reader({
        's3-url': 's3://b-1/nightly/',
        's3-endpoint': 'http://127.0.0.1:7070',
        's3-region': 'auto',
        keep: '14',
        'keep-days': '1.5',
      }),
      'backup',
      {},
    );
    expect(s3).toMatchObject({ url: 's3://b-1/nightly/', keep: 14, keepDays: 1.5, region: 'auto' });
  });

  it('refuse retention without s3-url, retention on a restore, and restore-method on a backup', () => {
    expect(refusal(() => parseS3Settings(reader({ keep: '3' }), 'backup', {})).message).toBe(
      "Setting 'keep' applies to the copy in S3 only; set 's3-url' (s3://BUCKET/PREFIX) too, or remove it.",
    );
    expect(
      refusal(() => parseS3Settings(reader({ 's3-url': 's3://bkt/p', 'keep-days': '2' }), 'restore', {}))
        .message,
    ).toMatch(/^Setting 'keep-days' applies to a backup only/);
    expect(refusal(() => parseS3Settings(reader({ keep: '-1' }), 'backup', {})).message).toMatch(
      /^Setting 'keep' got "-1"; it accepts a whole number/,
    );
    expect(refusal(() => parseS3Settings(reader({ 'keep-days': 'soon' }), 'backup', {})).message).toMatch(
      /^Setting 'keep-days' got "soon"/,
    );
  });

  it('say that restore-method: url is not available yet', () => {
    const error = refusal(() =>
      parseS3Settings(reader({ 's3-url': 's3://bkt/p', 'restore-method': 'url' }), 'restore', {}),
    );
    expect(describeError(error, ACTION_WORDING)).toMatch(/^restore-method: url .* is not available/);
  });

  it('are bad input when malformed, named by each adapter its own way', () => {
    const error = refusal(() => parseS3Settings(reader({ 's3-url': 'https://bucket/x' }), 'backup', {}));
    expect(describeError(error, ACTION_WORDING)).toMatch(
      /^Input 's3-url' "https:\/\/bucket\/x" is not an s3:\/\/ URL/,
    );
    expect(describeError(error, cliWording('backup'))).toMatch(/^--to "https:\/\/bucket\/x"/);
    expect(describeError(error, cliWording('restore'))).toMatch(/^--from "https:\/\/bucket\/x"/);
    expect(
      describeError(
        refusal(() =>
          parseS3Settings(reader({ 's3-url': 's3://bkt', 's3-endpoint': 'ftp://x' }), 'backup', {}),
        ),
        cliWording('backup'),
      ),
    ).toMatch(/^--s3-endpoint "ftp:\/\/x" is not an http\(s\) URL/);
  });

  it('reach the action through its inputs', () => {
    const options = parseInputs(
      reader({ mode: 'backup', 's3-url': 's3://bkt/nightly', keep: '2', artifact: 'false' }),
      {},
    );
    expect(options.s3).toMatchObject({ url: 's3://bkt/nightly', keep: 2, keepDays: 0 });
  });
});
