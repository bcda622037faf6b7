import { PLAIN_WORDING, render, settingsOf, type Message, type SettingId, type Wording } from './wording.js';

/**
 * The project's own error type. Every failure the user can act on is one of these: the message names what
 * went wrong and what to do, so entry points print it as is, without a stack trace. A message may name
 * settings by id (see wording.ts); the adapter renders it with `describeError(error, wording)`.
 */
export class ActionError extends Error {
  /** The message with its settings as ids. */
  readonly parts: Message;
  /** The setting the error concerns (the first one its message names), if any. */
  readonly setting?: SettingId;

  constructor(message: string | Message, options?: { cause?: unknown }) {
    const parts = typeof message === 'string' ? [message] : message;
    super(render(parts, PLAIN_WORDING), options);
    this.name = new.target.name;
    this.parts = parts;
    this.setting = settingsOf(parts)[0];
  }
}

/** A bad setting value: names the setting, the value it got and what it accepts. */
export class InputError extends ActionError {}

/** A backup folder or manifest that cannot be trusted. */
export class ManifestError extends ActionError {}

/** The restored collections do not match the backup. */
export class VerificationError extends ActionError {}

/** Text for any thrown value: our own errors in the adapter's words, others with their message. */
export function describeError(error: unknown, wording: Wording = PLAIN_WORDING): string {
  if (error instanceof ActionError) return render(error.parts, wording);
  if (error instanceof Error) return error.message;
  return String(error);
}
