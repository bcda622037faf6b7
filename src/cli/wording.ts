import type { AdviceId, SettingId, Wording } from '../core/wording.js';

/** The flag of a setting where it is not --<id>: booleans that default to true are switched off. */
const FLAG: Partial<Record<SettingId, string>> = {
  path: '--out',
  aliases: '--no-aliases',
};

/** Settings that are flags without a value (--keep-server-snapshots, --no-aliases). */
const SWITCHES = new Set<SettingId>(['keep-server-snapshots', 'aliases', 'allow-version-mismatch']);

const ADVICE: Record<AdviceId, string> = {
  'start-qdrant': '',
  'compatible-qdrant': '',
  'secret-example': ' (or QDRANT_SNAPSHOT_ENCRYPTION_KEY)',
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
