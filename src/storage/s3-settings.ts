import { ActionError, InputError } from '../core/errors.js';
import { say, setting, settingValue, subject, type S3SettingId } from '../core/wording.js';
import { parseEndpoint, resolveRegion } from './s3-endpoint.js';
import { parseS3Url } from './s3-url.js';

/** The AWS credentials the SDK reads from the environment that must never be shown. */
export const AWS_SECRET_VARIABLES = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

export const RESTORE_METHODS = ['upload', 'url'] as const;
export type RestoreMethod = (typeof RESTORE_METHODS)[number];

/** The off-site settings as action.yml and README state their defaults ('' where computed or unset). */
export const S3_DEFAULTS: Record<S3SettingId, string> = {
  's3-url': '',
  's3-endpoint': '',
  's3-region': '',
  keep: '0',
  'keep-days': '0',
  'restore-method': 'upload',
};

/** Where an off-site copy goes or comes from; `url` undefined means no S3 at all. */
export interface S3Options {
  url?: string;
  endpoint?: string;
  region?: string;
  /** Newest complete backups kept under the prefix (0 keeps all). */
  keep: number;
  /** Complete backups younger than this many days are kept (0 turns it off). */
  keepDays: number;
  restoreMethod: RestoreMethod;
}

const invalid = (id: S3SettingId, text: string) => new InputError(say`${subject(id)} ${text}`);

/**
 * Parses and checks the S3 settings once, before anything runs, so a typo in the bucket fails the job
 * before the backup starts rather than after it.
 */
export function parseS3Settings(
  read: (id: S3SettingId) => string,
  mode: 'backup' | 'restore',
  env: NodeJS.ProcessEnv = process.env,
): S3Options {
  const raw = (id: S3SettingId) => read(id) || S3_DEFAULTS[id];
  const url = raw('s3-url') || undefined;
  const endpoint = raw('s3-endpoint') || undefined;
  const region = raw('s3-region') || undefined;
  try {
    if (url !== undefined) parseS3Url(url);
    parseEndpoint(endpoint);
    resolveRegion(region, env);
  } catch (error) {
    // A malformed value is bad input, like any other setting's.
    throw error instanceof ActionError ? new InputError(error.parts, { cause: error }) : error;
  }
  const keepDaysText = raw('keep-days');
  if (!/^\d+(\.\d+)?$/.test(keepDaysText) || Number(keepDaysText) > 36500) {
    throw invalid(
      'keep-days',
      `got ${JSON.stringify(keepDaysText)}; it accepts a number of days from 0 (off) to 36500.`,
    );
  }
  const options: S3Options = {
    url,
    endpoint,
    region,
    keep: keepCount(raw('keep')),
    keepDays: Number(keepDaysText),
    restoreMethod: restoreMethod(raw('restore-method')),
  };
  if (url === undefined) {
    const given = (['s3-endpoint', 's3-region', 'keep', 'keep-days', 'restore-method'] as const).find(
      (id) => read(id) !== '' && read(id) !== S3_DEFAULTS[id],
    );
    if (given) {
      throw new InputError(
        say`${subject(given)} applies to the copy in S3 only; set ${setting('s3-url')} (s3://BUCKET/PREFIX) too, or remove it.`,
      );
    }
  }
  if (mode === 'restore' && (options.keep > 0 || options.keepDays > 0)) {
    throw new InputError(
      say`${subject(options.keep > 0 ? 'keep' : 'keep-days')} applies to a backup only (retention runs after a complete backup); remove it from the restore.`,
    );
  }
  if (options.restoreMethod === 'url') {
    throw new InputError(
      say`${settingValue('restore-method', 'url')} (Qdrant pulls each snapshot from a presigned URL) is not available in this version; use ${settingValue('restore-method', 'upload')} (the default), which downloads, checks and uploads each snapshot.`,
    );
  }
  if (mode === 'backup' && options.restoreMethod !== 'upload') {
    throw new InputError(
      say`${subject('restore-method')} applies to a restore only; remove it from the backup.`,
    );
  }
  return options;
}

function keepCount(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 100000) {
    throw invalid(
      'keep',
      `got ${JSON.stringify(text)}; it accepts a whole number from 0 (keep all) to 100000.`,
    );
  }
  return Number(text);
}

function restoreMethod(text: string): RestoreMethod {
  const method = RESTORE_METHODS.find((m) => m === text.toLowerCase());
  if (!method) {
    throw invalid(
      'restore-method',
      `got ${JSON.stringify(text)}; it accepts one of: ${RESTORE_METHODS.join(', ')}.`,
    );
  }
  return method;
}
