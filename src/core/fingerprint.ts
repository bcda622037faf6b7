// Content fingerprints: what a backup records of each collection's points, and how a restore checks them.
export { ALGORITHM } from './fingerprint/canonical.js';
export {
  DEFAULT_SAMPLE_SIZE,
  fingerprintCollection,
  pageSizeFor,
  type FingerprintOptions,
} from './fingerprint/scan.js';
export { sampleFingerprint, type SampleFingerprintOptions } from './fingerprint/sample-scan.js';
export {
  fromJsonId,
  readContentFingerprint,
  toJsonId,
  vectorNamesOf,
  type ContentFingerprint,
  type FullFingerprint,
  type SampleFingerprint,
  type JsonPointId,
} from './fingerprint/model.js';
export {
  compareFull,
  verifySample,
  type ContentComparison,
  type PointDifference,
  type SampleOptions,
} from './fingerprint/compare.js';
