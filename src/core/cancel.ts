import { setTimeout as sleep } from 'node:timers/promises';
import type { QdrantClient } from '../qdrant/client.js';
import { ActionError } from './errors.js';

/** The run was stopped by SIGINT or SIGTERM; `exitCode` follows the shell's convention (128 + signal). */
export class CancelledError extends ActionError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface Cancellation {
  signal: AbortSignal;
  /** The signal that stopped the run, if one did. */
  received(): NodeJS.Signals | undefined;
  /** Removes the handlers. */
  dispose(): void;
}

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Turns the first SIGINT or SIGTERM into an abort, so the run stops and cleans up; a second one exits at
 * once (the user insists).
 */
export function cancelOnSignals(onSignal: (name: NodeJS.Signals) => void = () => {}): Cancellation {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (received) process.exit(EXIT_CODES[received] ?? 1);
    received = name;
    onSignal(name);
    controller.abort(new Error(`cancelled by ${name}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export function exitCodeOf(name: NodeJS.Signals | undefined): number {
  return (name && EXIT_CODES[name]) || 1;
}

/** Records the server snapshots this run created and has not deleted yet (for the action's post step). */
export interface SnapshotLedger {
  /** A creation request is about to be sent; `existing` are the snapshots listed before it. */
  creating(collection: string, existing: string[]): void;
  /** The creation answered, failed for good, or what it made was deleted. */
  settled(collection: string): void;
  created(collection: string, snapshot: string): void;
  deleted(collection: string, snapshot: string): void;
}

/** How long a cancelled run waits for a snapshot creation already sent to land, so it can delete it. */
export const LANDING_WAIT_MS = 5_000;

/**
 * After a creation request was cancelled: Qdrant keeps creating the snapshot and lists it only once it is
 * complete. Waits up to `waitMs` for snapshots that were not there before (`before`) to appear and deletes
 * them; returns their names.
 */
export async function deleteLandedSnapshots(
  client: QdrantClient,
  collection: string,
  before: ReadonlySet<string>,
  waitMs = LANDING_WAIT_MS,
): Promise<string[]> {
  const deleted: string[] = [];
  const deadline = Date.now() + waitMs;
  for (;;) {
    const landed = (await client.listSnapshots(collection)).filter(
      (s) => !before.has(s.name) && !deleted.includes(s.name),
    );
    for (const snapshot of landed) {
      await client.deleteSnapshot(collection, snapshot.name);
      deleted.push(snapshot.name);
    }
    if (deleted.length > 0 || Date.now() >= deadline) return deleted;
    await sleep(250);
  }
}
