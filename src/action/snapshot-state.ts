import * as core from '@actions/core';
import { deleteLandedSnapshots, type SnapshotLedger } from '../core/cancel.js';
import { describeError } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import type { QdrantClient } from '../qdrant/client.js';

/** The state key under which the main step hands the post step the server snapshots it may leave. */
const KEY = 'server-snapshots';

interface Leftovers {
  url: string;
  /** Snapshots created and not deleted yet. */
  created: { collection: string; snapshot: string }[];
  /** Creations sent and not answered: the snapshots that were listed before each. */
  creating: { collection: string; existing: string[] }[];
}

/** A ledger kept in the action's state (GITHUB_STATE), rewritten on every change: the last value wins. */
export function stateLedger(url: string): SnapshotLedger {
  const state: Leftovers = { url, created: [], creating: [] };
  const save = () => core.saveState(KEY, JSON.stringify(state));
  return {
    creating(collection, existing) {
      state.creating.push({ collection, existing });
      save();
    },
    settled(collection) {
      state.creating = state.creating.filter((c) => c.collection !== collection);
      save();
    },
    created(collection, snapshot) {
      state.created.push({ collection, snapshot });
      save();
    },
    deleted(collection, snapshot) {
      state.created = state.created.filter((c) => c.collection !== collection || c.snapshot !== snapshot);
      save();
    },
  };
}

/** The server the main step left snapshots on, if it did. */
export function leftoverServer(): string | undefined {
  const raw = core.getState(KEY);
  if (!raw) return undefined;
  const state = JSON.parse(raw) as Leftovers;
  return state.created.length + state.creating.length > 0 ? state.url : undefined;
}

/**
 * Post step: deletes the server snapshots the main step created and could not delete (it was cancelled or
 * killed), including creations still in flight when it stopped. Never touches any other snapshot.
 */
export async function deleteLeftoverSnapshots(client: QdrantClient, reporter: Reporter): Promise<void> {
  const state = JSON.parse(core.getState(KEY)) as Leftovers;
  for (const { collection, snapshot } of state.created) {
    try {
      await client.deleteSnapshot(collection, snapshot);
      reporter.info(`Deleted server snapshot ${snapshot} of ${collection}, left by the main step.`);
    } catch (error) {
      reporter.warning(
        `Could not delete server snapshot ${snapshot} of ${collection}: ${describeError(error)}`,
      );
    }
  }
  for (const { collection, existing } of state.creating) {
    try {
      for (const snapshot of await deleteLandedSnapshots(client, collection, new Set(existing))) {
        reporter.info(
          `Deleted server snapshot ${snapshot} of ${collection}, created after the cancellation.`,
        );
      }
    } catch (error) {
      reporter.warning(
        `Could not check ${collection} for snapshots left by the main step: ${describeError(error)}`,
      );
    }
  }
}
