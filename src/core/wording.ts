/**
 * How a message names a setting. The core writes its messages once, with the settings as ids; each adapter
 * renders them in its own words: the action says 'concurrency' and "Input 'concurrency'", the CLI says
 * --concurrency. So a CLI user is never told about an action input, nor an action user about a flag.
 */

/** The settings the core and the Qdrant client refer to: the action's input names, which the CLI's flags share. */
export type SettingId =
  | 'url'
  | 'api-key'
  | 'collections'
  | 'exclude'
  | 'path'
  | 'concurrency'
  | 'timeout'
  | 'keep-server-snapshots'
  | 'aliases'
  | 'encryption-key'
  | 'encryption-recipients'
  | 'encryption-identity'
  | 'rename'
  | 'if-exists'
  | 'verify'
  | 'fingerprint'
  | 'allow-version-mismatch'
  | 'nodes'
  | S3SettingId;

/** The off-site copy's settings (src/storage/s3-settings.ts parses them). */
export type S3SettingId = 's3-url' | 's3-endpoint' | 's3-region' | 'keep' | 'keep-days' | 'restore-method';

/** Advice only some adapters can give: how to start a Qdrant, how to pass a secret. */
export type AdviceId = 'start-qdrant' | 'compatible-qdrant' | 'secret-example' | 'identity-example';

export interface Wording {
  /** The setting inside a sentence: 'concurrency' | --concurrency. */
  name(id: SettingId): string;
  /** The setting opening a sentence about the value it got: Input 'concurrency' | --concurrency. */
  subject(id: SettingId): string;
  /** The setting given a value: if-exists: fail | --if-exists fail (booleans: --no-verify, --allow-version-mismatch). */
  value(id: SettingId, value: string): string;
  /** A clause that starts with a space (or ''): the adapter's way to do `id`. */
  advice(id: AdviceId): string;
}

type Part =
  | string
  | { setting: SettingId; form: 'name' | 'subject' }
  | { setting: SettingId; form: 'value'; value: string }
  | { advice: AdviceId };

/** A message whose settings are still ids: render it with a Wording. */
export type Message = readonly Part[];

export const setting = (id: SettingId): Part => ({ setting: id, form: 'name' });
export const subject = (id: SettingId): Part => ({ setting: id, form: 'subject' });
export const settingValue = (id: SettingId, value: string | boolean): Part => ({
  setting: id,
  form: 'value',
  value: String(value),
});
export const advice = (id: AdviceId): Part => ({ advice: id });

/** Tagged template for a Message: `` say`Raise ${setting('timeout')} for large collections.` `` */
export function say(strings: TemplateStringsArray, ...values: (Part | Message | number)[]): Message {
  const parts: Part[] = [];
  strings.forEach((text, i) => {
    parts.push(text);
    if (i >= values.length) return;
    const value = values[i]!;
    if (Array.isArray(value)) parts.push(...(value as Message));
    else parts.push(typeof value === 'number' ? String(value) : (value as Part));
  });
  return parts;
}

export function render(message: Message, wording: Wording): string {
  return message
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('advice' in part) return wording.advice(part.advice);
      if (part.form === 'value') return wording.value(part.setting, part.value);
      return part.form === 'subject' ? wording.subject(part.setting) : wording.name(part.setting);
    })
    .join('');
}

/** The settings of a message, in order: what an error is about. */
export function settingsOf(message: Message): SettingId[] {
  return message.flatMap((part) => (typeof part === 'object' && 'setting' in part ? [part.setting] : []));
}

/** The words of an error's own `message` (logs, tests): the setting's id in quotes, no advice. */
export const PLAIN_WORDING: Wording = {
  name: (id) => `'${id}'`,
  subject: (id) => `Setting '${id}'`,
  value: (id, value) => `${id}: ${value}`,
  advice: () => '',
};
