/** The S3 code and the AWS SDK, loaded only by a run that uses S3: the others start faster and smaller. */
export const loadS3Backups = () => import('./s3-backups.js');
