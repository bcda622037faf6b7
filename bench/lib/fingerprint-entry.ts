// What bench/fingerprint.mjs bundles (with ncc) and measures: the client and the fingerprint module.
export { QdrantClient } from '../../src/qdrant/client.js';
export { compareFull, fingerprintCollection, verifySample } from '../../src/core/fingerprint.js';
export { digestPoint } from '../../src/core/fingerprint/canonical.js';
