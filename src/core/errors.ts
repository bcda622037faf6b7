/**
 * The project's own error type. Every failure the user can act on is one of these: the message names what
 * went wrong and what to do, so entry points print it as is, without a stack trace.
 */
export class ActionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad input value: names the input, the value it got and what it accepts. */
export class InputError extends ActionError {}

/** A backup folder or manifest that cannot be trusted. */
export class ManifestError extends ActionError {}

/** The restored collections do not match the backup. */
export class VerificationError extends ActionError {}

/** Text for any thrown value: our own errors as they are, others with their message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
