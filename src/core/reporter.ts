import type { Wording } from './wording.js';

/**
 * How the core talks to the person watching: the action logs through @actions/core, the CLI through the
 * terminal. The core only knows this interface.
 */
export interface Reporter {
  /** How messages name settings for this person: action inputs or CLI flags. */
  readonly wording: Wording;
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /**
   * Runs `fn` with a reporter whose lines belong to one collapsible log group. Collections run in
   * parallel, so a group is written whole when `fn` ends; progress and warnings show at once.
   */
  group<T>(title: string, fn: (scoped: Reporter) => Promise<T>): Promise<T>;
  /** Periodic transfer progress for one collection. */
  progress(
    collection: string,
    verb: string,
    done: number,
    total: number | undefined,
    bytesPerSecond: number,
  ): void;
}
