import type { AdviceId, SettingId, Wording } from '../core/wording.js';

/** The flag of a setting where it is not --<id>: booleans that default to true are switched off. */
const FLAG: Partial<Record<SettingId, string>> = {
  path: '--out',
  aliases: '--no-aliases',
  // backup --to, restore --from (cliWording); list takes it as its argument.
  's3-url': '--to / --from',
};

/** Settings that are flags without a value (--keep-server-snapshots, --no-aliases). */
const SWITCHES = new Set<SettingId>(['keep-server-snapshots', 'aliases', 'allow-version-mismatch']);

const ADVICE: Record<AdviceId, string> = {
  'start-qdrant': '',
  'compatible-qdrant': '',
  'secret-example': ' (or QDRANT_SNAPSHOT_ENCRYPTION_KEY)',
  'identity-example':
    ' (the key itself or a file holding it, as age-keygen writes; or QDRANT_SNAPSHOT_ENCRYPTION_IDENTITY)',
};

const flag = (id: SettingId) => FLAG[id] ?? `--${id}`;

/** The CLI names settings by their flags. */
export const CLI_WORDING: Wording = {
  name: flag,
  subject: flag,
  value: (id, value) => {
    if (id === 'verify' && value === 'false') return '--no-verify';
    if (!SWITCHES.has(id)) return `${flag(id)} ${value}`;
    // A switch given: --allow-version-mismatch; a default-on switch turned off: --no-verify.
    return value === 'true' ? `--${id}` : `--no-${id}`;
  },
  advice: (id) => ADVICE[id],
};

/** The CLI's wording for one command: the S3 URL is --to for a backup, --from for a restore. */
export function cliWording(command: string | undefined): Wording {
  const url =
    command === 'backup'
      ? '--to'
      : command === 'restore'
        ? '--from'
        : command === 'list'
          ? 'the s3:// argument'
          : undefined;
  if (!url) return CLI_WORDING;
  const flag = (id: SettingId) => (id === 's3-url' ? url : CLI_WORDING.name(id));
  return {
    ...CLI_WORDING,
    name: flag,
    subject: flag,
    value: (id, value) => (id === 's3-url' ? `${url} ${value}` : CLI_WORDING.value(id, value)),
  };
}
