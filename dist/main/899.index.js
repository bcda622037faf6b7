export const id = 899;
export const ids = [899];
export const modules = {

/***/ 72899:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  copyBackupToS3: () => (/* binding */ copyBackupToS3),
  fetchBackupFromS3: () => (/* binding */ fetchBackupFromS3),
  listS3BackupLines: () => (/* binding */ listS3BackupLines),
  retentionLines: () => (/* binding */ retentionLines),
  s3BackupName: () => (/* binding */ s3BackupName)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./src/backup-format/folder.ts
var folder = __webpack_require__(61224);
// EXTERNAL MODULE: ./src/util/format.ts
var format = __webpack_require__(32693);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-s3/dist-cjs/index.js
var dist_cjs = __webpack_require__(53711);
// EXTERNAL MODULE: ./src/storage/s3-errors.ts
var s3_errors = __webpack_require__(14171);
// EXTERNAL MODULE: ./src/storage/s3-endpoint.ts
var s3_endpoint = __webpack_require__(97913);
// EXTERNAL MODULE: ./src/storage/s3-url.ts
var s3_url = __webpack_require__(2795);
;// CONCATENATED MODULE: ./src/storage/s3-client.ts




/** Validates the settings and makes the clients; nothing is sent until the first call. */
function connectS3(settings) {
    const env = settings.env ?? process.env;
    const location = (0,s3_url/* parseS3Url */.F$)(settings.url);
    const endpoint = (0,s3_endpoint/* parseEndpoint */.B)(settings.endpoint);
    const region = (0,s3_endpoint/* resolveRegion */.Z)(settings.region, env);
    // The SDK warns on Node < 22 about its releases after January 2027; this pinned release runs on Node 20.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const secrets = [
        settings.credentials?.secretAccessKey,
        settings.credentials?.sessionToken,
        settings.credentials?.accessKeyId,
        env.AWS_SECRET_ACCESS_KEY,
        env.AWS_SESSION_TOKEN,
        env.AWS_ACCESS_KEY_ID,
    ].filter((value) => typeof value === 'string' && value.length > 0);
    const make = (checksums) => new dist_cjs.S3Client({
        region,
        endpoint,
        forcePathStyle: endpoint !== undefined,
        credentials: settings.credentials,
        maxAttempts: settings.maxAttempts ?? 5,
        requestChecksumCalculation: checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
        responseChecksumValidation: checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
        // A socket idle this long is dead: fail the attempt and let the retry open another.
        requestHandler: { connectionTimeout: 15_000, requestTimeout: 120_000 },
    });
    const client = make(true);
    // A body that carries an S3 checksum header (signed, checked by the store) needs no second SHA-256 for
    // the signature: UNSIGNED-PAYLOAD then, as over HTTPS. Over a plain-HTTP endpoint the SDK would hash every
    // part once more; dropping it saved ~20 % CPU on both sides of an upload to versitygw (bench/s3.mjs).
    const unsignedPayloadWhenChecksummed = (next) => async (args) => {
        const headers = args.request.headers ?? {};
        const names = Object.keys(headers).map((name) => name.toLowerCase());
        if (names.some((name) => name.startsWith('x-amz-checksum-')) &&
            !names.includes('x-amz-content-sha256')) {
            headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        }
        return next(args);
    };
    // 'low' in the build step: after the (per-command) flexible checksums middleware has set its header.
    client.middlewareStack.add(unsignedPayloadWhenChecksummed, {
        step: 'build',
        priority: 'low',
        name: 'unsignedPayloadWhenChecksummed',
    });
    let plain;
    const context = (doing) => ({
        doing,
        bucket: location.bucket,
        endpoint,
        region,
        secrets,
    });
    return {
        ...location,
        endpoint,
        region,
        client,
        plainClient: () => (plain ??= make(false)),
        fail: (error, doing) => (0,s3_errors/* explainS3Error */.y6)(error, context(doing)),
        secrets,
        destroy() {
            client.destroy();
            plain?.destroy();
        },
    };
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(58500);
// EXTERNAL MODULE: ./src/backup-format/manifest.ts
var backup_format_manifest = __webpack_require__(93689);
// EXTERNAL MODULE: ./src/util/tap.ts
var tap = __webpack_require__(76909);
;// CONCATENATED MODULE: ./src/storage/s3-download.ts











/** A folder that holds nothing yet, so no file of the user's is ever overwritten. */
async function emptyFolder(folder) {
    await (0,promises_.mkdir)(folder, { recursive: true });
    if ((await (0,promises_.readdir)(folder)).length === 0)
        return folder;
    return (0,promises_.mkdtemp)(external_node_path_.join(folder, 'download-'));
}
/** A damaged object: no retry can help, and the message says which object and what to do. */
class DamagedObjectError extends s3_errors/* S3Error */.Dg {
}
function damaged(conn, backup, key, collection, what) {
    return new DamagedObjectError(`${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)} (collection ${collection}) ${what}. The object was changed or damaged in the bucket; nothing was sent to Qdrant. Restore from another backup: set s3-url to its folder, or to the prefix once ${backup.uri} is removed.`);
}
async function downloadObjectOnce(conn, backup, collection, entry, key, file) {
    const response = await conn.client.send(new dist_cjs.GetObjectCommand({ Bucket: conn.bucket, Key: key }));
    if (response.ContentLength !== undefined && response.ContentLength !== entry.size) {
        response.Body?.transformToWebStream()
            .cancel()
            .catch(() => { });
        throw damaged(conn, backup, key, collection, `has ${response.ContentLength} bytes; the manifest records ${entry.size}`);
    }
    const hash = (0,external_node_crypto_.createHash)('sha256');
    let bytes = 0;
    try {
        await (0,external_node_stream_promises_.pipeline)(response.Body, (0,tap/* tap */.M)((chunk) => {
            hash.update(chunk);
            bytes += chunk.length;
        }), (0,external_node_fs_.createWriteStream)(file));
    }
    catch (error) {
        // The SDK checks the store's own checksum of the object, where there is one, at the end of the body.
        if (/checksum mismatch/i.test(error.message ?? '')) {
            throw damaged(conn, backup, key, collection, `does not match the checksum the store recorded for it`);
        }
        throw error;
    }
    const actual = hash.digest('hex');
    if (bytes !== entry.size) {
        throw damaged(conn, backup, key, collection, `has ${bytes} bytes; the manifest records ${entry.size}`);
    }
    if (actual !== entry.sha256) {
        throw damaged(conn, backup, key, collection, `has SHA-256 ${actual}; the manifest records ${entry.sha256}`);
    }
}
/**
 * Downloads a complete backup into `folder` (or a new folder inside it when it is not empty), streamed, and
 * checks every object's size and SHA-256 against the manifest before returning: a restore that gets a
 * result may trust the files without reading them again.
 */
async function downloadS3Backup(conn, backup, folder, options = {}) {
    const wanted = options.collections ? new Set(options.collections) : undefined;
    const collections = backup.manifest.collections.filter((c) => !wanted || wanted.has(c.name));
    const target = await emptyFolder(folder);
    const files = [];
    const attempts = Math.max(1, options.attempts ?? 3);
    for (const collection of collections) {
        for (const entry of collection.files) {
            const key = (0,s3_url/* joinKey */.ID)(backup.key, entry.file);
            const file = external_node_path_.join(target, entry.file);
            for (let attempt = 1;; attempt++) {
                try {
                    await downloadObjectOnce(conn, backup, collection.name, entry, key, file);
                    break;
                }
                catch (error) {
                    await (0,promises_.rm)(file, { force: true });
                    if (error instanceof DamagedObjectError || !(0,s3_errors/* isTransient */.dg)(error) || attempt >= attempts) {
                        throw error instanceof s3_errors/* S3Error */.Dg
                            ? error
                            : conn.fail(error, `downloading ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)}`);
                    }
                    options.onRetry?.({ key, attempt, error: conn.fail(error, `downloading ${key}`).message });
                    await (0,external_node_timers_promises_.setTimeout)((options.retryDelayMs ?? 1000) * 2 ** (attempt - 1));
                }
            }
            files.push({ collection: collection.name, key, file, size: entry.size, sha256: entry.sha256 });
        }
    }
    await (0,promises_.writeFile)(external_node_path_.join(target, backup_format_manifest/* MANIFEST_FILE */.h1), backup.manifestText);
    return { folder: target, manifest: backup.manifest, files };
}

// EXTERNAL MODULE: ./src/util/pool.ts
var pool = __webpack_require__(40704);
;// CONCATENATED MODULE: ./src/storage/s3-list.ts





/** The files a backup writes besides manifest.json: `<collection>.snapshot`, encrypted `.snapshot.age`. */
const SNAPSHOT_FILE = /^[^/]+\.snapshot(\.age)?$/;
/** True when `key` (under `folderKey`) is a snapshot file this tool would have uploaded. */
function isSnapshotKey(folderKey, key) {
    return key.startsWith(`${folderKey}/`) && SNAPSHOT_FILE.test(key.slice(folderKey.length + 1));
}
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
async function listObjects(conn, prefix) {
    const objects = [];
    let token;
    do {
        const page = await conn.client
            .send(new dist_cjs.ListObjectsV2Command({ Bucket: conn.bucket, Prefix: prefix, ContinuationToken: token }))
            .catch((error) => {
            throw conn.fail(error, `listing ${(0,s3_url/* s3Uri */.tT)(conn.bucket, prefix)}`);
        });
        for (const object of page.Contents ?? []) {
            if (object.Key === undefined)
                continue;
            objects.push({
                key: object.Key,
                size: object.Size ?? 0,
                lastModified: object.LastModified ?? new Date(0),
            });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
}
/** The text of a small object, or undefined when there is no such key. */
async function readSmallObject(conn, key) {
    try {
        const response = await conn.client.send(new dist_cjs.GetObjectCommand({ Bucket: conn.bucket, Key: key }));
        if ((response.ContentLength ?? 0) > MAX_MANIFEST_BYTES) {
            response.Body?.transformToWebStream()
                .cancel()
                .catch(() => { });
            throw new s3_errors/* S3Error */.Dg(`${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)} has ${response.ContentLength} bytes; a manifest.json is far smaller. It is not a manifest written by this tool.`);
        }
        return (await response.Body?.transformToString('utf8')) ?? '';
    }
    catch (error) {
        if ((0,s3_errors/* s3ErrorCode */.az)(error) === 'NoSuchKey')
            return undefined;
        throw conn.fail(error, `reading ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)}`);
    }
}
function newest(objects) {
    return new Date(Math.max(0, ...objects.map((object) => object.lastModified.getTime())));
}
/** Reads one backup folder's manifest and classifies it. */
async function classify(conn, name, key, objects) {
    const base = { name, key, uri: (0,s3_url/* s3Uri */.tT)(conn.bucket, key, true), objects };
    const manifestKey = (0,s3_url/* joinKey */.ID)(key, backup_format_manifest/* MANIFEST_FILE */.h1);
    if (!objects.some((object) => object.key === manifestKey)) {
        const ours = objects.every((object) => isSnapshotKey(key, object.key));
        return { ...base, kind: ours ? 'incomplete' : 'foreign', time: newest(objects) };
    }
    let text;
    try {
        text = await readSmallObject(conn, manifestKey);
    }
    catch (error) {
        if (error instanceof s3_errors/* S3Error */.Dg && error.setting !== 's3-url')
            throw error; // credentials, network: not the backup's fault
        return { ...base, kind: 'unreadable', error: error.message, time: newest(objects) };
    }
    // Deleted between the listing and the read: retention of another job is removing it.
    if (text === undefined)
        return { ...base, kind: 'incomplete', time: newest(objects) };
    try {
        const manifest = (0,backup_format_manifest/* parseManifest */.Ng)(text);
        return { ...base, kind: 'complete', manifest, manifestText: text, time: new Date(manifest.created_at) };
    }
    catch (error) {
        return { ...base, kind: 'unreadable', error: error.message, time: newest(objects) };
    }
}
function newestFirst(a, b) {
    return b.time.getTime() - a.time.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}
/** Every backup folder directly under the prefix (complete, incomplete or unreadable), newest first. */
async function listS3Backups(conn, prefix = conn.prefix) {
    const folderPrefix = prefix === '' ? '' : `${prefix}/`;
    const groups = new Map();
    const loose = [];
    for (const object of await listObjects(conn, folderPrefix)) {
        const rest = object.key.slice(folderPrefix.length);
        const slash = rest.indexOf('/');
        if (slash <= 0) {
            loose.push(object);
            continue;
        }
        const name = rest.slice(0, slash);
        const group = groups.get(name) ?? [];
        group.push(object);
        groups.set(name, group);
    }
    const backups = await (0,pool/* mapPool */.P)([...groups], 8, ([name, objects]) => classify(conn, name, (0,s3_url/* joinKey */.ID)(prefix, name), objects));
    return { backups: backups.sort(newestFirst), loose };
}
/** One line per backup, for messages and `list`. */
function describeListing(backup) {
    const when = backup.time.toISOString();
    switch (backup.kind) {
        case 'complete': {
            const m = backup.manifest;
            const state = m.complete ? 'complete' : `complete upload, but ${m.failed.length} collection(s) failed`;
            return `${backup.name}/ (${state}: ${m.collections.length} collection(s), created ${when})`;
        }
        case 'incomplete':
            return `${backup.name}/ (incomplete: ${backup.objects.length} object(s), no manifest.json, last written ${when})`;
        case 'unreadable':
            return `${backup.name}/ (manifest.json unreadable: ${backup.error})`;
        case 'foreign':
            return `${backup.name}/ (not a backup: ${backup.objects.length} object(s), no manifest.json, not snapshot files)`;
    }
}
/**
 * What `s3-url` names for a restore: one backup (a folder holding manifest.json), or a prefix, whose newest
 * backup with a valid manifest and every collection saved is taken. Anything else is an error that lists
 * what is there.
 */
async function chooseS3Backup(conn) {
    if (conn.prefix !== '') {
        const text = await readSmallObject(conn, (0,s3_url/* joinKey */.ID)(conn.prefix, backup_format_manifest/* MANIFEST_FILE */.h1));
        if (text !== undefined) {
            let manifest;
            try {
                manifest = (0,backup_format_manifest/* parseManifest */.Ng)(text);
            }
            catch (error) {
                throw new s3_errors/* S3Error */.Dg(`${(0,s3_url/* s3Uri */.tT)(conn.bucket, conn.prefix, true)} holds a manifest.json that cannot be used: ${error.message}`, { cause: error });
            }
            const folderPrefix = `${conn.prefix}/`;
            const objects = await listObjects(conn, folderPrefix);
            const name = conn.prefix.slice(conn.prefix.lastIndexOf('/') + 1);
            return {
                backup: {
                    kind: 'complete',
                    name,
                    key: conn.prefix,
                    uri: (0,s3_url/* s3Uri */.tT)(conn.bucket, conn.prefix, true),
                    objects,
                    time: new Date(manifest.created_at),
                    manifest,
                    manifestText: text,
                },
                skipped: [],
            };
        }
    }
    const { backups, loose } = await listS3Backups(conn);
    const index = backups.findIndex((backup) => backup.kind === 'complete' && backup.manifest.complete);
    if (index >= 0)
        return { backup: backups[index], skipped: backups.slice(0, index) };
    const where = (0,s3_url/* s3Uri */.tT)(conn.bucket, conn.prefix, true);
    const found = [
        ...backups.map((backup) => `  ${describeListing(backup)}`),
        ...(loose.length > 0
            ? [
                `  ${loose.length} object(s) directly under the prefix, outside any backup folder: ${loose
                    .slice(0, 5)
                    .map((object) => object.key.slice(object.key.lastIndexOf('/') + 1))
                    .join(', ')}${loose.length > 5 ? ', ...' : ''}${loose.length > 0 ? ' (if s3-url names one backup, its upload is incomplete: it has no manifest.json)' : ''}`,
            ]
            : []),
    ];
    const partial = backups.filter((backup) => backup.kind === 'complete');
    throw new s3_errors/* S3Error */.Dg(found.length === 0
        ? `There is no backup under ${where}: the prefix is empty. Set s3-url to the prefix your backups were written to (the s3-url of the backup step) or to one backup folder.`
        : `There is no complete backup under ${where}. Found:\n${found.join('\n')}\n${partial.length > 0
            ? `To restore what a partial backup holds, set s3-url to that backup folder (for example ${partial[0].uri}).`
            : 'Set s3-url to the prefix your backups were written to, or to one backup folder that holds manifest.json.'}`);
}

// EXTERNAL MODULE: ./src/core/wording.ts
var wording = __webpack_require__(37711);
;// CONCATENATED MODULE: ./src/storage/retention.ts

const DAY_MS = 24 * 3600 * 1000;
/** Checks the numbers a user gave; the message names the setting. */
function checkRetentionPolicy(policy) {
    if (!Number.isSafeInteger(policy.keep) || policy.keep < 0)
        return (0,wording/* say */.cv) `${(0,wording/* subject */.bc)('keep')} must be a whole number of at least 0 (0 keeps all); got ${String(policy.keep)}.`;
    if (!Number.isFinite(policy.keepDays) || policy.keepDays < 0)
        return (0,wording/* say */.cv) `${(0,wording/* subject */.bc)('keep-days')} must be a number of days of at least 0 (0 turns it off); got ${String(policy.keepDays)}.`;
    return undefined;
}
function retention_newestFirst(a, b) {
    return b.time.getTime() - a.time.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}
function planRetention(candidates, policy) {
    const problem = checkRetentionPolicy(policy);
    if (problem)
        throw new RangeError((0,wording/* render */.XX)(problem, wording/* PLAIN_WORDING */.kP));
    const abandonedAfter = policy.abandonedAfterMs ?? DAY_MS;
    const now = policy.now.getTime();
    const complete = candidates.filter((c) => c.kind === 'complete').sort(retention_newestFirst);
    const newestOf = new Map(); // collection -> name of the newest complete backup holding it
    for (const backup of complete) {
        for (const collection of backup.collections) {
            if (!newestOf.has(collection))
                newestOf.set(collection, backup.name);
        }
    }
    const rank = new Map(complete.map((backup, index) => [backup.name, index]));
    const plan = { delete: [], keep: [] };
    for (const candidate of [...candidates].sort(retention_newestFirst)) {
        const verdict = (reason) => ({ name: candidate.name, kind: candidate.kind, reason });
        const age = now - candidate.time.getTime();
        const days = (age / DAY_MS).toFixed(1);
        if (candidate.name === policy.justWritten) {
            plan.keep.push(verdict('the backup just written'));
            continue;
        }
        if (candidate.kind === 'unreadable') {
            plan.keep.push(verdict('its manifest.json cannot be read; left for you to inspect'));
            continue;
        }
        if (candidate.kind === 'foreign') {
            plan.keep.push(verdict('not a backup (no manifest.json, not snapshot files); never touched'));
            continue;
        }
        if (candidate.kind === 'incomplete') {
            if (age > abandonedAfter)
                plan.delete.push(verdict(`an abandoned upload (no manifest.json, last written ${days} days ago)`));
            else
                plan.keep.push(verdict('an upload without manifest.json from the last day (it may still be running)'));
            continue;
        }
        const lastCopyOf = candidate.collections.filter((collection) => newestOf.get(collection) === candidate.name);
        if (lastCopyOf.length > 0) {
            plan.keep.push(verdict(`the newest complete backup of ${lastCopyOf.join(', ')}`));
            continue;
        }
        const index = rank.get(candidate.name);
        if (policy.keep > 0 && index < policy.keep) {
            plan.keep.push(verdict(`one of the ${policy.keep} newest (keep)`));
            continue;
        }
        if (policy.keepDays > 0 && age < policy.keepDays * DAY_MS) {
            plan.keep.push(verdict(`younger than ${policy.keepDays} days (keep-days)`));
            continue;
        }
        if (policy.keep === 0 && policy.keepDays === 0) {
            plan.keep.push(verdict('no retention set (keep 0, keep-days 0)'));
            continue;
        }
        const why = [
            policy.keep > 0 ? `beyond the ${policy.keep} newest (keep)` : undefined,
            policy.keepDays > 0 ? `older than ${policy.keepDays} days (keep-days; ${days} days old)` : undefined,
        ].filter(Boolean);
        plan.delete.push(verdict(why.join(' and ')));
    }
    return plan;
}

;// CONCATENATED MODULE: ./src/storage/s3-retention.ts






const BATCH_FALLBACK_CODES = new Set([
    'NotImplemented',
    'InvalidRequest',
    'InvalidArgument',
    'MissingContentMD5',
    'BadRequest',
    'InvalidDigest',
]);
/** Deletes keys in batches of 1,000, or one at a time on a store without DeleteObjects. */
async function deleteKeys(conn, keys) {
    for (let start = 0; start < keys.length; start += 1000) {
        const batch = keys.slice(start, start + 1000);
        let result;
        try {
            result = await conn.client.send(new dist_cjs.DeleteObjectsCommand({
                Bucket: conn.bucket,
                Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }));
        }
        catch (error) {
            if (!BATCH_FALLBACK_CODES.has((0,s3_errors/* s3ErrorCode */.az)(error)) && (0,s3_errors/* httpStatus */.nG)(error) !== 501)
                throw error;
            for (const key of batch)
                await conn.plainClient().send(new dist_cjs.DeleteObjectCommand({ Bucket: conn.bucket, Key: key }));
            continue;
        }
        const errors = result.Errors ?? [];
        if (errors.length > 0) {
            const first = errors[0];
            throw new s3_errors/* S3Error */.Dg(`${errors.length} object(s) could not be deleted, e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim(), { variable: 'AWS_ACCESS_KEY_ID' });
        }
    }
}
/**
 * Deletes one whole backup: manifest.json first, so a backup half deleted is never taken for a complete
 * one (it is an incomplete upload from then on, which a later retention finishes off).
 */
async function deleteS3Backup(conn, backup) {
    const manifestKey = (0,s3_url/* joinKey */.ID)(backup.key, backup_format_manifest/* MANIFEST_FILE */.h1);
    const keys = backup.objects.map((object) => object.key);
    if (keys.includes(manifestKey)) {
        await conn.client.send(new dist_cjs.DeleteObjectCommand({ Bucket: conn.bucket, Key: manifestKey }));
    }
    await deleteKeys(conn, keys.filter((key) => key !== manifestKey));
    return keys.length;
}
async function abortAbandonedUploads(conn, cutoff) {
    const aborted = [];
    const prefix = conn.prefix === '' ? '' : `${conn.prefix}/`;
    let keyMarker;
    let uploadIdMarker;
    for (;;) {
        let page;
        try {
            page = await conn.client.send(new dist_cjs.ListMultipartUploadsCommand({
                Bucket: conn.bucket,
                Prefix: prefix,
                KeyMarker: keyMarker,
                UploadIdMarker: uploadIdMarker,
            }));
        }
        catch (error) {
            // Some stores do not list multipart uploads; their lifecycle rules are the only cleanup there.
            if ((0,s3_errors/* s3ErrorCode */.az)(error) === 'NotImplemented' || (0,s3_errors/* httpStatus */.nG)(error) === 501)
                return aborted;
            throw error;
        }
        for (const upload of page.Uploads ?? []) {
            if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() >= cutoff)
                continue;
            // Only our own: prefix/<backup>/<collection>.snapshot[.age]; another tool's uploads are its business.
            const folder = upload.Key.slice(0, upload.Key.lastIndexOf('/'));
            if (folder.slice(prefix.length).includes('/') || !isSnapshotKey(folder, upload.Key))
                continue;
            await conn.client.send(new dist_cjs.AbortMultipartUploadCommand({ Bucket: conn.bucket, Key: upload.Key, UploadId: upload.UploadId }));
            aborted.push({ key: upload.Key, initiated: upload.Initiated });
        }
        if (!page.IsTruncated)
            return aborted;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
    }
}
/**
 * Retention under the connection's prefix, run after a complete backup only: deletes whole backups that
 * planRetention gives up, and abandoned uploads. Returns what it deleted, kept and could not delete.
 */
async function applyS3Retention(conn, options) {
    const problem = checkRetentionPolicy(options);
    if (problem)
        throw new s3_errors/* S3Error */.Dg(problem);
    const now = options.now ?? new Date();
    const abandonedAfterMs = options.abandonedAfterMs ?? DAY_MS;
    const { backups } = await listS3Backups(conn);
    const written = backups.find((backup) => backup.name === options.justWritten);
    if (!written || written.kind !== 'complete' || !written.manifest.complete) {
        const state = !written
            ? 'is not there'
            : written.kind !== 'complete'
                ? 'has no readable manifest.json'
                : `is partial (${written.manifest.failed.map((f) => f.name).join(', ')} failed)`;
        throw new s3_errors/* S3Error */.Dg(`Retention runs only after a complete backup, and ${(0,s3_url/* s3Uri */.tT)(conn.bucket, (0,s3_url/* joinKey */.ID)(conn.prefix, options.justWritten), true)} ${state}; nothing was deleted.`);
    }
    const plan = planRetention(backups.map((backup) => ({
        name: backup.name,
        kind: backup.kind,
        time: backup.time,
        collections: backup.kind === 'complete' ? backup.manifest.collections.map((c) => c.name) : [],
    })), {
        keep: options.keep,
        keepDays: options.keepDays,
        justWritten: options.justWritten,
        now,
        abandonedAfterMs,
    });
    const byName = new Map(backups.map((backup) => [backup.name, backup]));
    const report = {
        deleted: [],
        kept: plan.keep.map((verdict) => ({ ...verdict, uri: byName.get(verdict.name).uri })),
        abortedUploads: [],
        failed: [],
    };
    for (const verdict of plan.delete) {
        const backup = byName.get(verdict.name);
        try {
            const objects = await deleteS3Backup(conn, backup);
            report.deleted.push({ ...verdict, uri: backup.uri, objects });
        }
        catch (error) {
            const explained = error instanceof s3_errors/* S3Error */.Dg ? error : conn.fail(error, `deleting ${backup.uri}`);
            report.failed.push({ name: backup.name, uri: backup.uri, error: explained.message });
        }
    }
    try {
        report.abortedUploads = await abortAbandonedUploads(conn, now.getTime() - abandonedAfterMs);
    }
    catch (error) {
        report.failed.push({
            name: '(multipart uploads)',
            uri: (0,s3_url/* s3Uri */.tT)(conn.bucket, conn.prefix, true),
            error: conn.fail(error, 'aborting abandoned multipart uploads').message,
        });
    }
    return report;
}

// EXTERNAL MODULE: ./node_modules/@aws-sdk/lib-storage/dist-cjs/index.js
var lib_storage_dist_cjs = __webpack_require__(22358);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
;// CONCATENATED MODULE: ./src/storage/s3-upload.ts











const MIB = 1024 * 1024;
/** Parts of 8 MiB, four in flight: ~32 MiB of buffers whatever the file size, up to 70 GiB per file. */
const DEFAULT_PART_SIZE = 8 * MIB;
const QUEUE_SIZE = 4;
const MAX_PARTS = 9000; // S3 allows 10,000; the margin keeps a rounding error from reaching it
/** The part size that keeps a file under MAX_PARTS parts, in whole MiB. */
function partSizeFor(size, minimum = DEFAULT_PART_SIZE) {
    return Math.max(minimum, Math.ceil(size / MAX_PARTS / MIB) * MIB);
}
/** A store that does not implement S3's flexible checksums answers with one of these. */
function refusesChecksums(error) {
    const code = (0,s3_errors/* s3ErrorCode */.az)(error);
    if (code === 'BadDigest')
        return false; // the store checked the checksum and the data did not match it
    if (code === 'NotImplemented' || (0,s3_errors/* httpStatus */.nG)(error) === 501)
        return true;
    const text = error instanceof Error ? error.message : String(error);
    return (['InvalidArgument', 'InvalidRequest', 'BadRequest', 'InvalidDigest'].includes(code) &&
        /checksum|trailer|aws-chunked|x-amz-/i.test(text));
}
/**
 * Uploads one file, streamed from disk through a SHA-256 check: a file that is not what the manifest says
 * fails at its end, before the upload is completed, so the store never holds it under its name.
 */
async function uploadFileOnce(client, conn, file, key, expected, checksums, options) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    let bytes = 0;
    let digest;
    const verdict = () => {
        const actual = (digest ??= hash.digest('hex'));
        if (bytes === expected.size && actual === expected.sha256)
            return undefined;
        return new s3_errors/* S3Error */.Dg(`${file} (${expected.what}) has ${bytes} bytes and SHA-256 ${actual} on disk; the manifest records ${expected.size} bytes and ${expected.sha256}. The local backup changed or is damaged; nothing was stored under ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)}. Make a new backup.`);
    };
    // Judged before the last chunk goes on, not at the stream's end: the upload completes as soon as the
    // store has ContentLength bytes, which can be before this stream ends (a damaged file was stored so).
    const check = new external_node_stream_.Transform({
        transform(chunk, _encoding, callback) {
            bytes += chunk.length;
            if (digest !== undefined)
                return callback(verdict()); // more than the manifest's size
            hash.update(chunk);
            if (bytes >= expected.size) {
                const problem = verdict();
                if (problem)
                    return callback(problem);
            }
            callback(null, chunk);
        },
        flush(callback) {
            callback(digest === undefined ? verdict() : undefined); // shorter than the manifest's size
        },
    });
    const body = (0,external_node_stream_.pipeline)((0,external_node_fs_.createReadStream)(file, { highWaterMark: MIB }), check, () => { });
    const upload = new lib_storage_dist_cjs/* Upload */._({
        client,
        params: {
            Bucket: conn.bucket,
            Key: key,
            Body: body,
            ContentLength: expected.size,
            ...(checksums ? { ChecksumAlgorithm: 'SHA256' } : {}),
        },
        partSize: options.partSize ?? partSizeFor(expected.size),
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
    });
    if (options.onProgress) {
        upload.on('httpUploadProgress', (event) => options.onProgress?.({ key, loaded: event.loaded ?? 0, total: expected.size }));
    }
    try {
        const result = await upload.done();
        // A single-part upload stores the whole object's SHA-256: it must be the manifest's.
        const stored = result.ChecksumSHA256;
        if (checksums && stored && !stored.includes('-')) {
            const hex = Buffer.from(stored, 'base64').toString('hex');
            if (hex !== expected.sha256) {
                throw new s3_errors/* S3Error */.Dg(`The store recorded SHA-256 ${hex} for ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)}; the manifest records ${expected.sha256}.`);
            }
        }
    }
    finally {
        body.destroy();
    }
    const head = await client.send(new dist_cjs.HeadObjectCommand({ Bucket: conn.bucket, Key: key }));
    if (head.ContentLength !== expected.size) {
        throw new s3_errors/* S3Error */.Dg(`The store holds ${head.ContentLength} bytes under ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)} after the upload; ${expected.size} were sent.`);
    }
}
async function uploadFile(conn, state, file, key, expected, options) {
    const attempts = Math.max(1, options.attempts ?? 3);
    for (let attempt = 1;; attempt++) {
        try {
            const client = state.checksums ? conn.client : conn.plainClient();
            await uploadFileOnce(client, conn, file, key, expected, state.checksums, options);
            return {
                key,
                size: expected.size,
                sha256: expected.sha256,
                checksum: state.checksums ? 'sha256' : 'none',
            };
        }
        catch (error) {
            if (state.checksums && refusesChecksums(error)) {
                // The same attempt again, without S3 checksums: our own streaming SHA-256 check still applies.
                state.checksums = false;
                attempt--;
                continue;
            }
            const retry = ((0,s3_errors/* isTransient */.dg)(error) || (0,s3_errors/* s3ErrorCode */.az)(error) === 'BadDigest') && attempt < attempts;
            if (!retry)
                throw explainUploadError(error, conn, key, expected.size, options);
            options.onRetry?.({ key, attempt, error: conn.fail(error, `uploading ${key}`).message });
            await (0,external_node_timers_promises_.setTimeout)((options.retryDelayMs ?? 1000) * 2 ** (attempt - 1));
        }
    }
}
function explainUploadError(error, conn, key, size, options) {
    const code = (0,s3_errors/* s3ErrorCode */.az)(error);
    const multipart = size > (options.partSize ?? partSizeFor(size));
    if (multipart && (code === 'NotImplemented' || (0,s3_errors/* httpStatus */.nG)(error) === 501)) {
        return new s3_errors/* S3Error */.Dg(`${conn.endpoint ? `The store at ${conn.endpoint}` : 'The store'} refused a multipart upload of ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)} (${code}). Snapshot files larger than ${Math.round((options.partSize ?? partSizeFor(size)) / MIB)} MiB are uploaded in parts; use a store that supports S3 multipart upload (AWS S3, R2, B2, GCS, Ceph, MinIO and versitygw all do), or check that s3-endpoint points at an S3 API.`, { cause: error });
    }
    return conn.fail(error, `uploading ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)}`);
}
async function putManifest(conn, state, key, text) {
    const body = Buffer.from(text, 'utf8');
    const digest = (0,external_node_crypto_.createHash)('sha256').update(body).digest();
    const send = (client, checksums) => client.send(new dist_cjs.PutObjectCommand({
        Bucket: conn.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/json',
        ...(checksums ? { ChecksumSHA256: digest.toString('base64') } : {}),
    }));
    try {
        if (state.checksums) {
            try {
                await send(conn.client, true);
            }
            catch (error) {
                if (!refusesChecksums(error))
                    throw error;
                state.checksums = false;
            }
        }
        if (!state.checksums)
            await send(conn.plainClient(), false);
    }
    catch (error) {
        throw conn.fail(error, `writing ${(0,s3_url/* s3Uri */.tT)(conn.bucket, key)}`);
    }
    return {
        key,
        size: body.length,
        sha256: digest.toString('hex'),
        checksum: state.checksums ? 'sha256' : 'none',
    };
}
/** Refuses to write over a backup that is already complete under that name. */
async function checkTargetFree(conn, folderKey) {
    const manifestKey = (0,s3_url/* joinKey */.ID)(folderKey, backup_format_manifest/* MANIFEST_FILE */.h1);
    let found;
    try {
        const listing = await conn.client.send(new dist_cjs.ListObjectsV2Command({ Bucket: conn.bucket, Prefix: manifestKey, MaxKeys: 1 }));
        found = (listing.Contents ?? []).some((object) => object.Key === manifestKey);
    }
    catch (error) {
        throw conn.fail(error, `checking ${(0,s3_url/* s3Uri */.tT)(conn.bucket, folderKey, true)}`);
    }
    if (found) {
        throw new s3_errors/* S3Error */.Dg(`${(0,s3_url/* s3Uri */.tT)(conn.bucket, folderKey, true)} already holds a complete backup (manifest.json); it is kept as is. Give this backup another name, or another prefix in s3-url.`);
    }
}
/**
 * Uploads a backup folder (manifest.json and the files it lists) to `prefix/<name>/`: every file streamed
 * from disk in parts, its SHA-256 checked against the manifest on the way, and manifest.json written last,
 * so the backup counts as complete only once everything else is there.
 */
async function uploadBackupToS3(conn, folder, options = {}) {
    const name = options.name ?? external_node_path_.basename(external_node_path_.resolve(folder));
    (0,s3_url/* checkBackupName */.Mg)(name);
    const manifestText = await (0,promises_.readFile)(external_node_path_.join(folder, backup_format_manifest/* MANIFEST_FILE */.h1), 'utf8');
    const manifest = (0,backup_format_manifest/* parseManifest */.Ng)(manifestText);
    const folderKey = (0,s3_url/* joinKey */.ID)(conn.prefix, name);
    const uri = (0,s3_url/* s3Uri */.tT)(conn.bucket, folderKey, true);
    await checkTargetFree(conn, folderKey);
    const state = { checksums: true };
    const objects = [];
    try {
        for (const collection of manifest.collections) {
            for (const entry of collection.files) {
                const what = `collection ${collection.name}${entry.shard ? `, shard ${entry.shard.id}` : ''}`;
                const file = external_node_path_.join(folder, entry.file);
                const size = (await (0,promises_.stat)(file)).size;
                if (size !== entry.size) {
                    throw new s3_errors/* S3Error */.Dg(`${file} (${what}) has ${size} bytes; the manifest records ${entry.size}. The local backup changed or is damaged: make a new backup.`);
                }
                objects.push(await uploadFile(conn, state, file, (0,s3_url/* joinKey */.ID)(folderKey, entry.file), { size: entry.size, sha256: entry.sha256, what }, options));
            }
        }
        objects.push(await putManifest(conn, state, (0,s3_url/* joinKey */.ID)(folderKey, backup_format_manifest/* MANIFEST_FILE */.h1), manifestText));
    }
    catch (error) {
        const cause = error instanceof s3_errors/* S3Error */.Dg ? error : conn.fail(error, `uploading to ${uri}`);
        throw new s3_errors/* S3Error */.Dg([
            ...cause.parts,
            ` The backup at ${uri} is incomplete: manifest.json was not written, so it is never chosen for a restore, and the retention of a later backup removes it after a day. The local backup in ${folder} is intact; run the upload again.`,
        ], { cause: error, ...(cause.variable ? { variable: cause.variable } : {}) });
    }
    return { name, uri, objects, manifest };
}

;// CONCATENATED MODULE: ./src/storage/s3-backups.ts
// The off-site copy as the action and the CLI use it: one call after a backup (upload, then retention),
// one before a restore (choose, download, check), one to list. The S3 modules do the work; this module
// connects them to the settings and says what happened.









/** The name a backup gets under the prefix: its creation time, so names sort by age and never clash. */
function s3BackupName(manifest) {
    // The same name the CLI gives a local backup folder.
    return external_node_path_.basename((0,folder/* newBackupFolder */.BF)('/', new Date(manifest.created_at)));
}
function connect(s3) {
    return connectS3({ url: s3.url, endpoint: s3.endpoint, region: s3.region });
}
/**
 * Uploads a finished local backup to `s3-url`'s prefix under its own name (manifest.json last), then,
 * when the backup saved every collection and keep / keep-days are set, applies retention and says what it
 * deleted. A partial backup is uploaded (it is the best copy there is) but triggers no deletion.
 */
async function copyBackupToS3(s3, folder, manifest, reporter) {
    const conn = connect(s3);
    try {
        const name = s3BackupName(manifest);
        reporter.info(`Uploading the backup to ${(0,s3_url/* s3Uri */.tT)(conn.bucket, conn.prefix, true)}${name}/ ...`);
        const upload = await uploadBackupToS3(conn, folder, {
            name,
            onRetry: ({ key, attempt, error }) => reporter.warning(`Upload of ${key} failed (attempt ${attempt}), retrying: ${error}`),
        });
        const bytes = upload.objects.reduce((sum, object) => sum + object.size, 0);
        const checked = upload.objects.every((object) => object.checksum === 'sha256')
            ? 'each SHA-256 checked by the store'
            : 'each SHA-256 checked on the way (the store keeps no S3 checksums)';
        reporter.info(`Stored ${upload.uri}: ${upload.objects.length} object(s), ${(0,format/* formatBytes */.z3)(bytes)}, ${checked}; manifest.json written last.`);
        const result = { uri: upload.uri, bytes, objects: upload.objects.length };
        if (s3.keep === 0 && s3.keepDays === 0)
            return result;
        if (!manifest.complete) {
            reporter.warning(`Retention skipped: ${manifest.failed.length} collection(s) failed, and retention runs only after a complete backup; nothing was deleted from ${(0,s3_url/* s3Uri */.tT)(conn.bucket, conn.prefix, true)}.`);
            return result;
        }
        result.retention = await applyS3Retention(conn, {
            keep: s3.keep,
            keepDays: s3.keepDays,
            justWritten: name,
        });
        for (const line of retentionLines(result.retention))
            reporter.info(line);
        for (const failed of result.retention.failed) {
            reporter.warning(`Retention could not delete ${failed.uri}: ${failed.error}`);
        }
        return result;
    }
    finally {
        conn.destroy();
    }
}
/** What retention did, one line each: deleted backups with the reason, aborted uploads, the count kept. */
function retentionLines(report) {
    const lines = report.deleted.map((deleted) => `Retention deleted ${deleted.uri} (${deleted.objects} object(s)): ${deleted.reason}.`);
    for (const upload of report.abortedUploads) {
        lines.push(`Retention aborted an unfinished upload of ${upload.key} (started ${upload.initiated.toISOString()}).`);
    }
    if (lines.length === 0)
        lines.push(`Retention deleted nothing; ${report.kept.length} backup folder(s) kept.`);
    else
        lines.push(`Retention kept ${report.kept.length} backup folder(s).`);
    return lines;
}
/**
 * Brings the backup `s3-url` names (one backup, or the newest complete one under a prefix) into `into`,
 * every object's size and SHA-256 checked against the manifest before this returns, so nothing reaches
 * Qdrant from a damaged copy. Returns the local folder and the backup's URI.
 */
async function fetchBackupFromS3(s3, into, reporter) {
    const conn = connect(s3);
    try {
        const { backup, skipped } = await chooseS3Backup(conn);
        for (const passed of skipped)
            reporter.info(`Passed over ${passed.uri}: ${describeListing(passed)}`);
        reporter.info(`Downloading ${backup.uri} (created ${backup.manifest.created_at}) ...`);
        const download = await downloadS3Backup(conn, backup, external_node_path_.resolve(into), {
            onRetry: ({ key, attempt, error }) => reporter.warning(`Download of ${key} failed (attempt ${attempt}), retrying: ${error}`),
        });
        const bytes = download.files.reduce((sum, file) => sum + file.size, 0);
        reporter.info(`Downloaded ${download.files.length} file(s), ${(0,format/* formatBytes */.z3)(bytes)}, into ${download.folder}; every size and SHA-256 matches the manifest.`);
        return { folder: download.folder, uri: backup.uri };
    }
    finally {
        conn.destroy();
    }
}
/** The backups under a prefix, newest first, one line each (what `list s3://...` prints). */
async function listS3BackupLines(s3) {
    const conn = connect(s3);
    try {
        const { backups } = await listS3Backups(conn);
        if (backups.length === 0)
            return [`No backups under ${(0,s3_url/* s3Uri */.tT)(conn.bucket, conn.prefix, true)}.`];
        return backups.map((backup) => {
            const line = `${backup.uri}\n  ${describeListing(backup)}`;
            if (backup.kind !== 'complete')
                return line;
            const m = backup.manifest;
            const bytes = m.collections.reduce((sum, c) => sum + c.files.reduce((n, f) => n + f.size, 0), 0);
            const collections = m.collections.map((c) => `    ${c.name}: ${c.points} points`).join('\n');
            return `${line}\n  Qdrant ${m.qdrant_version}, ${(0,format/* formatBytes */.z3)(bytes)}${m.encryption ? ', encrypted' : ''}\n${collections}`;
        });
    }
    finally {
        conn.destroy();
    }
}


/***/ })

};
