// S3-compatible off-site backups: the public surface of src/storage/s3-*.ts and retention.ts.
export { connectS3, type S3Connection, type S3Settings } from './s3-client.js';
export { parseEndpoint, resolveRegion } from './s3-endpoint.js';
export { S3Error, explainS3Error } from './s3-errors.js';
export { checkBackupName, joinKey, parseS3Url, s3Uri, type S3Location } from './s3-url.js';
export {
  DEFAULT_PART_SIZE,
  partSizeFor,
  uploadBackupToS3,
  type S3UploadOptions,
  type S3UploadResult,
  type UploadedS3Object,
} from './s3-upload.js';
export {
  chooseS3Backup,
  describeListing,
  isSnapshotKey,
  listS3Backups,
  type CompleteS3Backup,
  type ForeignS3Folder,
  type IncompleteS3Backup,
  type S3BackupChoice,
  type S3BackupListing,
  type S3Object,
  type S3PrefixListing,
  type UnreadableS3Backup,
} from './s3-list.js';
export { downloadS3Backup, type S3DownloadOptions, type S3DownloadResult } from './s3-download.js';
export { MAX_EXPIRY_SECONDS, presignBackupUrls, type PresignedSnapshot } from './s3-presign.js';
export {
  applyS3Retention,
  deleteS3Backup,
  type S3RetentionOptions,
  type S3RetentionReport,
} from './s3-retention.js';
export {
  DAY_MS,
  checkRetentionPolicy,
  planRetention,
  type RetentionCandidate,
  type RetentionPlan,
  type RetentionPolicy,
  type RetentionVerdict,
} from './retention.js';
