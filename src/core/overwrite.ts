import type { ManifestCollection } from '../backup-format/manifest.js';
import type { QdrantClient } from '../qdrant/client.js';
import { createCollectionBody } from './cluster/collection-config.js';
import { payloadIndexSchema } from './cluster/shard-restore.js';

/**
 * `if-exists: overwrite`: makes `target` exactly what the backup recorded before its snapshot is recovered
 * into it. Qdrant recovers into an existing collection in place, keeping that collection's HNSW, optimizer,
 * quantization, WAL and strict-mode config and payload indexes, so the collection is deleted and created
 * again from the recorded config and payload schema; the recovery then only brings the points. The
 * collection's own aliases (deleted with it by Qdrant) are put back.
 */
export async function recreateFromBackup(
  client: QdrantClient,
  entry: ManifestCollection,
  target: string,
): Promise<void> {
  const aliases = (await client.aliases()).filter((alias) => alias.collection_name === target);
  await client.deleteCollection(target);
  await client.createCollection(target, createCollectionBody(entry.config));
  for (const [field, info] of Object.entries(entry.payload_schema ?? {})) {
    await client.createPayloadIndex(target, field, payloadIndexSchema(info));
  }
  if (aliases.length > 0) {
    await client.updateAliases(
      aliases.map((alias) => ({
        create_alias: { collection_name: target, alias_name: alias.alias_name },
      })),
    );
  }
}
