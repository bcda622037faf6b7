import type { CreateCollection } from '../../qdrant/types.js';

/**
 * The body of `PUT /collections/{c}` that recreates a collection from its recorded config
 * (GET /collections/{c} result.config): params as they are, plus hnsw, optimizers (recorded as
 * `optimizer_config`, created as `optimizers_config`), WAL, quantization, strict mode and metadata.
 * Verified on 1.19.0: a collection created from this body reports the same config.
 */
export function createCollectionBody(
  config: Record<string, unknown>,
  overrides: { replication_factor?: number; write_consistency_factor?: number } = {},
): CreateCollection {
  const params = { ...(config.params as Record<string, unknown>) };
  const body: Record<string, unknown> = { ...params };
  const sections: [string, string][] = [
    ['hnsw_config', 'hnsw_config'],
    ['optimizer_config', 'optimizers_config'],
    ['wal_config', 'wal_config'],
    ['quantization_config', 'quantization_config'],
    ['strict_mode_config', 'strict_mode_config'],
    ['metadata', 'metadata'],
  ];
  for (const [recorded, created] of sections) {
    if (config[recorded] !== undefined && config[recorded] !== null) body[created] = config[recorded];
  }
  if (overrides.replication_factor !== undefined) body.replication_factor = overrides.replication_factor;
  if (overrides.write_consistency_factor !== undefined) {
    body.write_consistency_factor = overrides.write_consistency_factor;
  }
  return body as CreateCollection;
}
