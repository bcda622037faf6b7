import { ActionError } from '../errors.js';

/**
 * A cluster that cannot be backed up or restored as asked: a peer out of reach, nodes behind a load
 * balancer, a shard without an Active replica, a topology the backup cannot go into. The message names the
 * peers, shards and URLs involved and what to do.
 */
export class ClusterError extends ActionError {}

/** A collection whose shards could not all be backed up: lists each missing shard and why. */
export class MissingShardsError extends ClusterError {
  constructor(
    readonly collection: string,
    readonly missing: { shard: number; key: string | number | null; reason: string }[],
    total: number,
  ) {
    super(
      `Collection ${collection}: ${missing.length} of ${total} shards could not be backed up, so the backup of this collection is incomplete and was not kept. ` +
        missing
          .map(
            ({ shard, key, reason }) =>
              `Shard ${shard}${key === null ? '' : ` (shard key ${JSON.stringify(key)})`}: ${reason}`,
          )
          .join(' '),
    );
  }
}
