// The measured process of bench/s3.mjs: one backup folder uploaded with the storage module, as the action
// and the CLI will (bundled by ncc). Credentials come from the environment (the standard AWS chain).
//   node s3-upload.js FOLDER s3://bucket/prefix ENDPOINT [PART_SIZE_BYTES]
import { performance } from 'node:perf_hooks';
import { connectS3, uploadBackupToS3 } from '../../src/storage/s3.js';

const [folder, url, endpoint, partSize] = process.argv.slice(2);
if (!folder || !url || !endpoint) {
  console.error('usage: s3-upload FOLDER s3://bucket/prefix ENDPOINT [PART_SIZE_BYTES]');
  process.exit(2);
}
const conn = connectS3({ url, endpoint });
const started = performance.now();
const result = await uploadBackupToS3(conn, folder, partSize ? { partSize: Number(partSize) } : {});
console.log(
  JSON.stringify({
    ms: performance.now() - started,
    uri: result.uri,
    checksums: result.objects.map((o) => o.checksum),
  }),
);
conn.destroy();
