// Local stand-in for GitHub's artifact backend, good enough for the real @actions/artifact 6.x client:
//  - Twirp JSON "results" API      POST /twirp/github.actions.results.api.v1.ArtifactService/<Method>
//  - Azure block-blob endpoints    /<account>/<container>/<id>-<file>?sv=..&sp=..&se=..&sig=..  (path style)
//  - GitHub REST fake              /repos/{owner}/{repo}/actions/...
//  - admin endpoints for the CLI   /_admin/...
// Blobs are streamed to and from disk under dataDir; everything else lives in memory.
import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { readZipFile } from './zip.js';

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';
const TWIRP_METHODS = new Set([
  'CreateArtifact',
  'FinalizeArtifact',
  'ListArtifacts',
  'GetSignedArtifactURL',
  'DeleteArtifact',
]);
const ACCOUNT = 'account';
const CONTAINER = 'actions-results';
const AZURE_VERSION = '2025-11-05';
const DEFAULT_RETENTION_DAYS = 90;
const UPLOAD_URL_TTL_MS = 6 * 60 * 60 * 1000;
const DOWNLOAD_URL_TTL_MS = 60 * 60 * 1000;
const INVALID_NAME_CHARS = ['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/'];
const DOCS = 'https://docs.github.com/rest';

const TWIRP_STATUS = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
};
const STATUS_TO_TWIRP = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  408: 'deadline_exceeded',
  409: 'already_exists',
  412: 'failed_precondition',
  429: 'resource_exhausted',
  501: 'unimplemented',
  503: 'unavailable',
};

const b64url = (value) => Buffer.from(value).toString('base64url');
const xmlEscape = (s) =>
  String(s).replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c],
  );
const xmlUnescape = (s) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&');

function toRunId(backendId) {
  return /^\d+$/.test(backendId) ? Number(backendId) : backendId;
}

function readBody(req, limit = 16 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function appendFileTo(fh, src) {
  const input = await fsp.open(src, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (;;) {
      const { bytesRead } = await input.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      let off = 0;
      while (off < bytesRead) {
        const { bytesWritten } = await fh.write(buf, off, bytesRead - off);
        off += bytesWritten;
      }
    }
  } finally {
    await input.close();
  }
}

/**
 * Decode the payload of an (unsigned) JWT and extract the Actions.Results scope.
 * @returns {{ runBackendId: string, jobBackendId: string } | null}
 */
function scopeFromToken(authorization) {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return null;
  const parts = m[1].split('.');
  if (parts.length < 2) return null;
  let payload;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof payload?.scp !== 'string') return null;
  for (const scope of payload.scp.split(' ')) {
    const s = scope.split(':');
    if (s[0] === 'Actions.Results' && s.length === 3) return { runBackendId: s[1], jobBackendId: s[2] };
  }
  return null;
}

/**
 * @param {{ dataDir: string, port?: number, host?: string, repository?: string, token?: string }} options
 */
export async function startArtifactService(options) {
  const { dataDir, port = 0, host = '127.0.0.1' } = options ?? {};
  if (!dataDir) throw new Error('startArtifactService: dataDir is required');
  const defaultRepository = options.repository ?? 'octo/repo';
  const defaultToken = options.token ?? 'ghs_artifactServiceFakeToken0000000000';
  const blobsDir = path.join(dataDir, 'blobs');
  const blocksDir = path.join(dataDir, 'blocks');
  await fsp.mkdir(blobsDir, { recursive: true });
  await fsp.mkdir(blocksDir, { recursive: true });

  const secret = randomBytes(32);
  /** @type {Map<number, any>} */
  const artifacts = new Map();
  /** @type {Map<string, any>} workflow runs registered with addWorkflowRun */
  const runs = new Map();
  /** @type {Map<string, string>} run id -> repository (from env() or addWorkflowRun) */
  const runRepos = new Map();
  /** @type {Map<string, number>} `${repo}\n${file}` -> workflow id */
  const workflowIds = new Map();
  const requests = [];
  let rules = [];
  let nextArtifactId = 1001;
  let nextWorkflowId = 161335;
  let nextRunNumber = 1;
  let baseUrl = '';

  const isExpired = (a) => a.expiredFlag || (a.expiresAt !== null && a.expiresAt.getTime() <= Date.now());
  const sameRepo = (a, b) => a.toLowerCase() === b.toLowerCase();

  function sign(id, perm, se) {
    return createHmac('sha256', secret).update(`${id}\n${perm}\n${se}`).digest('base64url');
  }

  function blobUrl(a, perm, ttlMs) {
    const se = new Date(Date.now() + ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sig = sign(a.id, perm, se);
    return (
      `${baseUrl}/${ACCOUNT}/${CONTAINER}/${a.id}-${encodeURIComponent(a.fileName)}` +
      `?sv=${AZURE_VERSION}&sr=b&sp=${perm}&se=${encodeURIComponent(se)}&sig=${sig}`
    );
  }

  function takeFault(route) {
    for (const rule of rules) {
      if (rule.route === route && rule.remaining > 0) {
        rule.remaining--;
        return rule;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- responses
  function sendJson(res, status, body, headers = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  function twirpError(res, code, msg, status) {
    sendJson(res, status ?? TWIRP_STATUS[code] ?? 500, { code, msg });
  }

  function azureHeaders(req, extra = {}) {
    const headers = {
      'x-ms-request-id': randomUUID(),
      'x-ms-version': AZURE_VERSION,
      date: new Date().toUTCString(),
      server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
      ...extra,
    };
    const clientRequestId = req.headers['x-ms-client-request-id'];
    if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
    return headers;
  }

  function azureError(req, res, status, code, message) {
    const body =
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${xmlEscape(code)}</Code>` +
      `<Message>${xmlEscape(message)}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message></Error>`;
    res.writeHead(
      status,
      azureHeaders(req, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
        'x-ms-error-code': code,
      }),
    );
    res.end(body);
  }

  function restHeaders(extra = {}) {
    return {
      'x-github-request-id': randomUUID().toUpperCase(),
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-resource': 'core',
      ...extra,
    };
  }

  function restError(res, status, message) {
    sendJson(res, status, { message, documentation_url: DOCS, status: String(status) }, restHeaders());
  }

  // ---------------------------------------------------------------- Twirp
  async function handleTwirp(req, res, method) {
    if (req.method !== 'POST' || !TWIRP_METHODS.has(method)) {
      req.resume();
      return twirpError(res, 'bad_route', `no handler for path ${req.url}`);
    }
    const body = await readBody(req);
    const scope = scopeFromToken(req.headers.authorization);
    if (!scope) return twirpError(res, 'unauthenticated', 'missing or invalid runtime token');
    let input;
    try {
      input = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      return twirpError(res, 'malformed', 'the request body is not valid JSON');
    }
    const runBackendId = input.workflow_run_backend_id;
    const jobBackendId = input.workflow_job_run_backend_id;
    if (!runBackendId || !jobBackendId) {
      return twirpError(
        res,
        'invalid_argument',
        'workflow_run_backend_id and workflow_job_run_backend_id are required',
      );
    }
    if (runBackendId !== scope.runBackendId) {
      return twirpError(
        res,
        'permission_denied',
        'the runtime token does not grant access to this workflow run',
      );
    }
    const inRun = (a) => !a.deleted && a.runBackendId === runBackendId;

    switch (method) {
      case 'CreateArtifact': {
        const name = input.name;
        if (
          typeof name !== 'string' ||
          name.trim() === '' ||
          INVALID_NAME_CHARS.some((c) => name.includes(c))
        ) {
          return twirpError(res, 'invalid_argument', `invalid artifact name: ${JSON.stringify(name)}`);
        }
        if ([...artifacts.values()].some((a) => inRun(a) && a.name === name)) {
          return twirpError(
            res,
            'already_exists',
            'an artifact with this name already exists on the workflow run',
          );
        }
        const mimeType = typeof input.mime_type === 'string' ? input.mime_type : 'application/zip';
        const isZip = mimeType === 'application/zip';
        const now = new Date();
        const expiresAt = input.expires_at
          ? new Date(input.expires_at)
          : new Date(now.getTime() + DEFAULT_RETENTION_DAYS * 86400_000);
        const id = nextArtifactId++;
        const fileName = isZip && !name.toLowerCase().endsWith('.zip') ? `${name}.zip` : name;
        const a = {
          id,
          name,
          fileName,
          runBackendId,
          jobBackendId,
          repository: runRepos.get(runBackendId) ?? defaultRepository,
          mimeType,
          version: input.version ?? 0,
          createdAt: now,
          updatedAt: now,
          expiresAt,
          expiredFlag: false,
          committed: false,
          finalized: false,
          deleted: false,
          size: 0,
          blobSize: 0,
          blobContentType: undefined,
          etag: undefined,
          lastModified: undefined,
          digest: undefined,
          blobPath: path.join(blobsDir, `${id}${isZip ? '.zip' : '.blob'}`),
        };
        artifacts.set(id, a);
        return sendJson(res, 200, { ok: true, signed_upload_url: blobUrl(a, 'cw', UPLOAD_URL_TTL_MS) });
      }
      case 'FinalizeArtifact': {
        const a = [...artifacts.values()].find((x) => inRun(x) && x.name === input.name);
        if (!a) return twirpError(res, 'not_found', `artifact not found: ${input.name}`);
        if (a.finalized) return twirpError(res, 'failed_precondition', 'artifact is already finalized');
        if (!a.committed)
          return twirpError(res, 'failed_precondition', 'artifact content has not been uploaded');
        a.size = input.size !== undefined ? Number(input.size) : a.blobSize;
        a.digest = typeof input.hash === 'string' ? input.hash : undefined;
        a.finalized = true;
        a.updatedAt = new Date();
        return sendJson(res, 200, { ok: true, artifact_id: String(a.id) });
      }
      case 'ListArtifacts': {
        let list = [...artifacts.values()].filter((a) => inRun(a) && a.finalized && !isExpired(a));
        if (input.name_filter !== undefined) list = list.filter((a) => a.name === input.name_filter);
        if (input.id_filter !== undefined)
          list = list.filter((a) => String(a.id) === String(input.id_filter));
        list.sort((x, y) => x.id - y.id);
        return sendJson(res, 200, {
          artifacts: list.map((a) => ({
            workflow_run_backend_id: a.runBackendId,
            workflow_job_run_backend_id: a.jobBackendId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            created_at: a.createdAt.toISOString(),
            ...(a.digest ? { digest: a.digest } : {}),
          })),
        });
      }
      case 'GetSignedArtifactURL': {
        const a = [...artifacts.values()].find((x) => inRun(x) && x.finalized && x.name === input.name);
        if (!a || isExpired(a)) return twirpError(res, 'not_found', `artifact not found: ${input.name}`);
        return sendJson(res, 200, { signed_url: blobUrl(a, 'r', DOWNLOAD_URL_TTL_MS) });
      }
      case 'DeleteArtifact': {
        const a = [...artifacts.values()].find((x) => inRun(x) && x.name === input.name);
        if (!a) return twirpError(res, 'not_found', `artifact not found: ${input.name}`);
        await deleteArtifactData(a);
        return sendJson(res, 200, { ok: true, artifact_id: String(a.id) });
      }
    }
  }

  async function deleteArtifactData(a) {
    a.deleted = true;
    await fsp.rm(a.blobPath, { force: true });
    await fsp.rm(path.join(blocksDir, String(a.id)), { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- Azure blob
  async function handleBlob(req, res, url) {
    const parts = url.pathname.split('/');
    if (parts.length !== 4 || parts[1] !== ACCOUNT || parts[2] !== CONTAINER) {
      req.resume();
      return azureError(
        req,
        res,
        400,
        'InvalidUri',
        'The requested URI does not represent any resource on the server.',
      );
    }
    let blobName;
    try {
      blobName = decodeURIComponent(parts[3]);
    } catch {
      blobName = parts[3];
    }
    const m = /^(\d+)-/.exec(blobName);
    const a = m ? artifacts.get(Number(m[1])) : undefined;
    const sp = url.searchParams.get('sp') ?? '';
    const se = url.searchParams.get('se') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    if (a) {
      const expected = Buffer.from(sign(a.id, sp, se));
      const given = Buffer.from(sig);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
        req.resume();
        return azureError(
          req,
          res,
          403,
          'AuthenticationFailed',
          'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
        );
      }
      if (Date.parse(se) <= Date.now()) {
        req.resume();
        return azureError(
          req,
          res,
          403,
          'AuthenticationFailed',
          'Signed expiry time has to be after signed start time',
        );
      }
    }
    if (!a || a.deleted) {
      req.resume();
      return azureError(req, res, 404, 'BlobNotFound', 'The specified blob does not exist.');
    }

    if (req.method === 'PUT') {
      if (!sp.includes('w')) {
        req.resume();
        return azureError(
          req,
          res,
          403,
          'AuthorizationPermissionMismatch',
          'This request is not authorized to perform this operation using this permission.',
        );
      }
      if (a.finalized) {
        req.resume();
        return azureError(
          req,
          res,
          409,
          'BlobImmutableDueToPolicy',
          'This operation is not permitted as the blob is immutable.',
        );
      }
      const fault = takeFault('blob');
      if (fault)
        return applyFault(req, res, fault, () =>
          azureError(req, res, fault.status, 'InternalError', fault.message ?? 'injected fault'),
        );
      const comp = url.searchParams.get('comp');
      if (comp === 'block') return stageBlock(req, res, a, url.searchParams.get('blockid'));
      if (comp === 'blocklist') return commitBlockList(req, res, a);
      if (!comp && req.headers['x-ms-blob-type'] === 'BlockBlob') return putBlob(req, res, a);
      req.resume();
      return azureError(
        req,
        res,
        400,
        'InvalidQueryParameterValue',
        `unsupported blob operation comp=${comp}`,
      );
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      if (!sp.includes('r')) {
        return azureError(
          req,
          res,
          403,
          'AuthorizationPermissionMismatch',
          'This request is not authorized to perform this operation using this permission.',
        );
      }
      if (!a.committed || isExpired(a))
        return azureError(req, res, 404, 'BlobNotFound', 'The specified blob does not exist.');
      const fault = takeFault('download');
      if (fault)
        return applyFault(req, res, fault, () =>
          azureError(req, res, fault.status, 'InternalError', fault.message ?? 'injected fault'),
        );
      return getBlob(req, res, a);
    }
    req.resume();
    return azureError(
      req,
      res,
      405,
      'UnsupportedHttpVerb',
      "The resource doesn't support specified Http Verb.",
    );
  }

  async function stageBlock(req, res, a, blockId) {
    if (!blockId) {
      req.resume();
      return azureError(req, res, 400, 'InvalidQueryParameterValue', 'blockid is required');
    }
    const dir = path.join(blocksDir, String(a.id));
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, Buffer.from(blockId, 'utf8').toString('hex'));
    const tmp = `${file}.${randomUUID()}.tmp`;
    try {
      await pipeline(req, fs.createWriteStream(tmp));
      const expected = req.headers['content-length'];
      const { size } = await fsp.stat(tmp);
      if (expected !== undefined && Number(expected) !== size) {
        await fsp.rm(tmp, { force: true });
        return azureError(req, res, 400, 'InvalidHeaderValue', 'content length does not match the body');
      }
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    res.writeHead(201, azureHeaders(req, { 'content-length': 0, 'x-ms-request-server-encrypted': 'true' }));
    res.end();
  }

  async function commitBlockList(req, res, a) {
    const xml = (await readBody(req)).toString('utf8');
    const ids = [...xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((m) =>
      xmlUnescape(m[2]),
    );
    const dir = path.join(blocksDir, String(a.id));
    const files = ids.map((id) => path.join(dir, Buffer.from(id, 'utf8').toString('hex')));
    for (const f of files) {
      if (!fs.existsSync(f))
        return azureError(req, res, 400, 'InvalidBlockList', 'The specified block list is invalid.');
    }
    const tmp = `${a.blobPath}.${randomUUID()}.tmp`;
    const fh = await fsp.open(tmp, 'w');
    try {
      for (const f of files) await appendFileTo(fh, f);
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, a.blobPath);
    await fsp.rm(dir, { recursive: true, force: true });
    return blobCommitted(req, res, a);
  }

  async function putBlob(req, res, a) {
    const tmp = `${a.blobPath}.${randomUUID()}.tmp`;
    try {
      await pipeline(req, fs.createWriteStream(tmp));
      await fsp.rename(tmp, a.blobPath);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    return blobCommitted(req, res, a);
  }

  async function blobCommitted(req, res, a) {
    const { size } = await fsp.stat(a.blobPath);
    a.committed = true;
    a.blobSize = size;
    a.blobContentType = req.headers['x-ms-blob-content-type'] || 'application/octet-stream';
    a.etag = `"0x8${randomBytes(7).toString('hex').toUpperCase()}"`;
    a.lastModified = new Date();
    res.writeHead(
      201,
      azureHeaders(req, {
        'content-length': 0,
        etag: a.etag,
        'last-modified': a.lastModified.toUTCString(),
        'x-ms-request-server-encrypted': 'true',
        'x-ms-version-id': a.lastModified.toISOString(),
      }),
    );
    res.end();
  }

  function getBlob(req, res, a) {
    const total = a.blobSize;
    let start = 0;
    let end = total - 1;
    let status = 200;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers['x-ms-range'] ?? req.headers.range ?? '');
    if (range && total > 0 && (range[1] !== '' || range[2] !== '')) {
      if (range[1] === '') {
        start = Math.max(0, total - Number(range[2]));
      } else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(end, Number(range[2]));
      }
      if (start >= total || start > end) {
        res.writeHead(416, azureHeaders(req, { 'content-range': `bytes */${total}`, 'content-length': 0 }));
        return res.end();
      }
      status = 206;
    }
    const length = total === 0 ? 0 : end - start + 1;
    const headers = azureHeaders(req, {
      'content-type': a.blobContentType,
      'content-length': length,
      'content-disposition': `attachment; filename="${a.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(a.fileName)}`,
      etag: a.etag,
      'last-modified': a.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-creation-time': a.createdAt.toUTCString(),
      'x-ms-server-encrypted': 'true',
      'x-ms-lease-state': 'available',
      'x-ms-lease-status': 'unlocked',
    });
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${total}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || length === 0) return res.end();
    const stream = fs.createReadStream(a.blobPath, { start, end, highWaterMark: 1024 * 1024 });
    return pipeline(stream, res).catch(() => res.destroy());
  }

  function applyFault(req, res, fault, respond) {
    if (fault.status === 0) {
      req.socket.destroy();
      return;
    }
    req.resume();
    return respond();
  }

  // ---------------------------------------------------------------- GitHub REST
  function workflowFile(run) {
    return run.workflow;
  }

  function runJson(run) {
    const repo = run.repository;
    const [owner, name] = repo.split('/');
    const repository = {
      id: 1296269,
      node_id: 'R_kgDOAAAAAA',
      name,
      full_name: repo,
      private: true,
      owner: { login: owner, id: 1, type: 'Organization' },
      html_url: `https://github.com/${repo}`,
      url: `${baseUrl}/repos/${repo}`,
    };
    return {
      id: run.id,
      name: run.name,
      node_id: `WFR_${b64url(String(run.id))}`,
      head_branch: run.branch,
      head_sha: run.headSha,
      path: `.github/workflows/${workflowFile(run)}`,
      display_title: run.displayTitle,
      run_number: run.runNumber,
      run_attempt: 1,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      check_suite_id: run.id + 1,
      url: `${baseUrl}/repos/${repo}/actions/runs/${run.id}`,
      html_url: `https://github.com/${repo}/actions/runs/${run.id}`,
      pull_requests: [],
      created_at: run.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      updated_at: run.updatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      run_started_at: run.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      jobs_url: `${baseUrl}/repos/${repo}/actions/runs/${run.id}/jobs`,
      logs_url: `${baseUrl}/repos/${repo}/actions/runs/${run.id}/logs`,
      artifacts_url: `${baseUrl}/repos/${repo}/actions/runs/${run.id}/artifacts`,
      workflow_url: `${baseUrl}/repos/${repo}/actions/workflows/${run.workflowId}`,
      repository,
      head_repository: repository,
    };
  }

  function artifactJson(a) {
    const repo = a.repository;
    const run = runs.get(a.runBackendId);
    const url = `${baseUrl}/repos/${repo}/actions/artifacts/${a.id}`;
    const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      id: a.id,
      node_id: `MDg6QXJ0aWZhY3Q${b64url(String(a.id))}`,
      name: a.name,
      size_in_bytes: a.size,
      url,
      archive_download_url: `${url}/zip`,
      expired: isExpired(a),
      digest: a.digest ?? null,
      created_at: iso(a.createdAt),
      updated_at: iso(a.updatedAt),
      expires_at: a.expiresAt ? iso(a.expiresAt) : null,
      workflow_run: {
        id: toRunId(a.runBackendId),
        repository_id: 1296269,
        head_repository_id: 1296269,
        head_branch: run?.branch ?? 'main',
        head_sha: run?.headSha ?? '0'.repeat(40),
      },
    };
  }

  function paginate(res, url, items, key, extra = {}) {
    const perPage = Math.min(
      100,
      Math.max(1, Number.parseInt(url.searchParams.get('per_page') ?? '', 10) || 30),
    );
    const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '', 10) || 1);
    const lastPage = Math.max(1, Math.ceil(items.length / perPage));
    const pageUrl = (n) => {
      const u = new URL(url.pathname + url.search, baseUrl);
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(n));
      return u.href;
    };
    const links = [];
    if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
    if (page < lastPage)
      links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
    const headers = restHeaders(links.length ? { link: links.join(', ') } : {});
    const slice = items.slice((page - 1) * perPage, page * perPage);
    return sendJson(res, 200, { total_count: items.length, [key]: slice, ...extra }, headers);
  }

  function workflowIdFor(repo, file) {
    const key = `${repo.toLowerCase()}\n${file}`;
    let id = workflowIds.get(key);
    if (id === undefined) {
      id = nextWorkflowId++;
      workflowIds.set(key, id);
    }
    return id;
  }

  /** Runs of `repo` whose workflow is `ref` (numeric id or file name, optionally with .github/workflows/). */
  function findWorkflow(repo, ref) {
    const file = ref.replace(/^\.github\/workflows\//, '');
    const repoRuns = [...runs.values()].filter((r) => sameRepo(r.repository, repo));
    const matching = /^\d+$/.test(ref)
      ? repoRuns.filter((r) => String(r.workflowId) === ref)
      : repoRuns.filter((r) => r.workflow === file);
    return matching.length ? matching : null;
  }

  function workflowJson(run) {
    const repo = run.repository;
    const created = run.createdAt;
    return {
      id: run.workflowId,
      node_id: `W_${b64url(String(run.workflowId))}`,
      name: run.workflowName,
      path: `.github/workflows/${run.workflow}`,
      state: 'active',
      created_at: created.toISOString(),
      updated_at: created.toISOString(),
      url: `${baseUrl}/repos/${repo}/actions/workflows/${run.workflowId}`,
      html_url: `https://github.com/${repo}/blob/main/.github/workflows/${run.workflow}`,
      badge_url: `https://github.com/${repo}/workflows/${encodeURIComponent(run.workflowName)}/badge.svg`,
    };
  }

  function restRoute(method, pathname) {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/actions\/(.*)$/.exec(pathname);
    if (!m) return null;
    const repo = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
    const rest = m[3].split('/').map((s) => decodeURIComponent(s));
    const r = (route, params = {}) => ({ route, repo, ...params });
    if (method === 'GET' && rest.length === 3 && rest[0] === 'runs' && rest[2] === 'artifacts')
      return r('ListRunArtifacts', { runId: rest[1] });
    if (method === 'GET' && rest.length === 2 && rest[0] === 'runs')
      return r('GetWorkflowRun', { runId: rest[1] });
    if (method === 'GET' && rest.length === 1 && rest[0] === 'runs') return r('ListRepoRuns');
    if (method === 'GET' && rest.length === 1 && rest[0] === 'artifacts') return r('ListRepoArtifacts');
    if (rest.length === 2 && rest[0] === 'artifacts' && method === 'GET')
      return r('GetArtifact', { artifactId: rest[1] });
    if (rest.length === 2 && rest[0] === 'artifacts' && method === 'DELETE')
      return r('DeleteArtifactRest', { artifactId: rest[1] });
    if (method === 'GET' && rest.length === 3 && rest[0] === 'artifacts')
      return r('DownloadArtifactZip', { artifactId: rest[1], format: rest[2] });
    if (method === 'GET' && rest.length === 1 && rest[0] === 'workflows') return r('ListWorkflows');
    if (method === 'GET' && rest.length === 2 && rest[0] === 'workflows')
      return r('GetWorkflow', { workflow: rest[1] });
    if (method === 'GET' && rest.length === 3 && rest[0] === 'workflows' && rest[2] === 'runs')
      return r('ListWorkflowRuns', { workflow: rest[1] });
    return null;
  }

  function filterRuns(list, url) {
    const q = url.searchParams;
    let out = list;
    const status = q.get('status');
    if (status) out = out.filter((r) => r.status === status || r.conclusion === status);
    const branch = q.get('branch');
    if (branch) out = out.filter((r) => r.branch === branch);
    const event = q.get('event');
    if (event) out = out.filter((r) => r.event === event);
    const headSha = q.get('head_sha');
    if (headSha) out = out.filter((r) => r.headSha === headSha);
    const created = q.get('created');
    if (created) {
      const m = /^(>=|<=|>|<)?(.+)$/.exec(created);
      const op = m?.[1] ?? '>=';
      const t = Date.parse(m?.[2] ?? '');
      if (!Number.isNaN(t)) {
        out = out.filter((r) => {
          const c = r.createdAt.getTime();
          return op === '>=' ? c >= t : op === '<=' ? c <= t : op === '>' ? c > t : c < t;
        });
      }
    }
    return [...out].sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || y.id - x.id);
  }

  async function handleRest(req, res, url, route) {
    req.resume();
    if (!route) return restError(res, 404, 'Not Found');
    const auth = req.headers.authorization ?? '';
    if (!/^(token|bearer)\s+\S+/i.test(auth)) return restError(res, 401, 'Requires authentication');
    const { repo } = route;
    const repoArtifacts = () =>
      [...artifacts.values()].filter((a) => !a.deleted && a.finalized && sameRepo(a.repository, repo));
    const findArtifact = () => {
      const id = Number(route.artifactId);
      return repoArtifacts().find((a) => a.id === id);
    };
    switch (route.route) {
      case 'ListRunArtifacts': {
        const runRepo = runRepos.get(route.runId);
        if (!runRepo || !sameRepo(runRepo, repo)) return restError(res, 404, 'Not Found');
        const name = url.searchParams.get('name');
        const list = repoArtifacts()
          .filter((a) => a.runBackendId === route.runId && (name === null || a.name === name))
          .sort((x, y) => y.id - x.id)
          .map(artifactJson);
        return paginate(res, url, list, 'artifacts');
      }
      case 'ListRepoArtifacts': {
        const name = url.searchParams.get('name');
        const list = repoArtifacts()
          .filter((a) => name === null || a.name === name)
          .sort((x, y) => y.id - x.id)
          .map(artifactJson);
        return paginate(res, url, list, 'artifacts');
      }
      case 'GetArtifact': {
        const a = findArtifact();
        if (!a) return restError(res, 404, 'Not Found');
        return sendJson(res, 200, artifactJson(a), restHeaders());
      }
      case 'DeleteArtifactRest': {
        const a = findArtifact();
        if (!a) return restError(res, 404, 'Not Found');
        await deleteArtifactData(a);
        res.writeHead(204, restHeaders());
        return res.end();
      }
      case 'DownloadArtifactZip': {
        const a = findArtifact();
        if (!a || route.format !== 'zip') return restError(res, 404, 'Not Found');
        if (isExpired(a)) return restError(res, 410, 'Artifact has expired');
        res.writeHead(302, restHeaders({ location: blobUrl(a, 'r', 60_000), 'content-length': 0 }));
        return res.end();
      }
      case 'GetWorkflowRun': {
        const run = runs.get(route.runId);
        if (!run || !sameRepo(run.repository, repo)) return restError(res, 404, 'Not Found');
        return sendJson(res, 200, runJson(run), restHeaders());
      }
      case 'ListRepoRuns': {
        const list = [...runs.values()].filter((r) => sameRepo(r.repository, repo));
        return paginate(res, url, filterRuns(list, url).map(runJson), 'workflow_runs');
      }
      case 'ListWorkflows': {
        const seen = new Map();
        for (const r of runs.values())
          if (sameRepo(r.repository, repo) && !seen.has(r.workflowId)) seen.set(r.workflowId, r);
        return paginate(res, url, [...seen.values()].map(workflowJson), 'workflows');
      }
      case 'GetWorkflow': {
        const list = findWorkflow(repo, route.workflow);
        if (!list) return restError(res, 404, 'Not Found');
        return sendJson(res, 200, workflowJson(list[0]), restHeaders());
      }
      case 'ListWorkflowRuns': {
        const list = findWorkflow(repo, route.workflow);
        if (!list) return restError(res, 404, 'Not Found');
        return paginate(res, url, filterRuns(list, url).map(runJson), 'workflow_runs');
      }
    }
    return restError(res, 404, 'Not Found');
  }

  // ---------------------------------------------------------------- admin (for cli.js users)
  async function handleAdmin(req, res, url) {
    const body = req.method === 'POST' ? await readBody(req) : (req.resume(), Buffer.alloc(0));
    const input = body.length ? JSON.parse(body.toString('utf8')) : {};
    const p = url.pathname;
    if (req.method === 'POST' && p === '/_admin/workflow-runs')
      return sendJson(res, 200, svc.addWorkflowRun(input));
    if (req.method === 'POST' && p === '/_admin/env') return sendJson(res, 200, svc.env(input));
    if (req.method === 'GET' && p === '/_admin/artifacts') return sendJson(res, 200, svc.artifacts());
    if (req.method === 'GET' && p === '/_admin/requests') return sendJson(res, 200, requests);
    if (req.method === 'POST' && p === '/_admin/inject')
      return sendJson(res, 200, (svc.inject(input), { ok: true }));
    const m = /^\/_admin\/artifacts\/(\d+)\/expire$/.exec(p);
    if (req.method === 'POST' && m)
      return sendJson(res, 200, (svc.expireArtifact(Number(m[1])), { ok: true }));
    return sendJson(res, 404, { message: 'Not Found' });
  }

  // ---------------------------------------------------------------- dispatch
  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    let route;
    let kind;
    let restMatch = null;
    if (p.startsWith(TWIRP_PREFIX)) {
      kind = 'twirp';
      route = p.slice(TWIRP_PREFIX.length);
    } else if (p.startsWith(`/${ACCOUNT}/`)) {
      kind = 'blob';
      route = req.method === 'GET' || req.method === 'HEAD' ? 'download' : 'blob';
    } else if (p.startsWith('/_admin/')) {
      kind = 'admin';
      route = 'admin';
    } else {
      kind = 'rest';
      restMatch = restRoute(req.method, p);
      route = restMatch?.route ?? 'rest';
    }
    const started = performance.now();
    const entry = { method: req.method, path: p, route, status: 0, ms: 0 };
    if (kind !== 'admin') requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
      entry.ms = Math.round(performance.now() - started);
    });

    if (kind === 'twirp') {
      const fault = takeFault(route);
      if (fault) {
        return applyFault(req, res, fault, () =>
          twirpError(
            res,
            STATUS_TO_TWIRP[fault.status] ?? 'internal',
            fault.message ?? 'injected fault',
            fault.status,
          ),
        );
      }
      return handleTwirp(req, res, route);
    }
    if (kind === 'blob') return handleBlob(req, res, url);
    if (kind === 'admin') return handleAdmin(req, res, url);
    const fault = takeFault(route);
    if (fault)
      return applyFault(req, res, fault, () =>
        restError(res, fault.status, fault.message ?? 'injected fault'),
      );
    return handleRest(req, res, url, restMatch);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        const text = String(err?.stack ?? err);
        res.writeHead(500, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  const address = server.address();
  baseUrl = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;

  const svc = {
    url: baseUrl,
    token: defaultToken,
    requests,

    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },

    env({ runId, jobId, repository, token, workflow } = {}) {
      if (runId === undefined || runId === null || String(runId) === '')
        throw new Error('env: runId is required');
      const run = String(runId);
      if (/[\s:]/.test(run)) throw new Error('env: runId must not contain spaces or colons');
      const job = jobId !== undefined ? String(jobId) : `${run}-job`;
      if (/[\s:]/.test(job)) throw new Error('env: jobId must not contain spaces or colons');
      const registered = runs.get(run);
      const repo = repository ?? registered?.repository ?? runRepos.get(run) ?? defaultRepository;
      runRepos.set(run, repo);
      const now = Math.floor(Date.now() / 1000);
      const jwt = [
        b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5t: 'artifact-service' })),
        b64url(
          JSON.stringify({
            nameid: 'dddddddd-dddd-dddd-dddd-dddddddddddd',
            scp: `Actions.ExampleScope Actions.Results:${run}:${job}`,
            iss: 'vstoken.actions.githubusercontent.com',
            aud: 'vso:artifact-service',
            nbf: now - 60,
            iat: now - 60,
            exp: now + 6 * 3600,
            ac: '[]',
            repository: repo,
          }),
        ),
        'unsigned',
      ].join('.');
      const file = workflow ?? registered?.workflow ?? 'ci.yml';
      const branch = registered?.branch ?? 'main';
      return {
        ACTIONS_RUNTIME_TOKEN: jwt,
        ACTIONS_RESULTS_URL: `${baseUrl}/`,
        GITHUB_ACTIONS: 'true',
        CI: 'true',
        GITHUB_API_URL: baseUrl,
        GITHUB_GRAPHQL_URL: `${baseUrl}/graphql`,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: repo,
        GITHUB_REPOSITORY_OWNER: repo.split('/')[0],
        GITHUB_RUN_ID: run,
        GITHUB_RUN_NUMBER: String(registered?.runNumber ?? 1),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: 'job',
        GITHUB_WORKFLOW: registered?.name ?? file.replace(/\.ya?ml$/, ''),
        GITHUB_WORKFLOW_REF: `${repo}/.github/workflows/${file}@refs/heads/${branch}`,
        GITHUB_EVENT_NAME: registered?.event ?? 'push',
        GITHUB_REF: `refs/heads/${branch}`,
        GITHUB_REF_NAME: branch,
        GITHUB_REF_TYPE: 'branch',
        GITHUB_SHA: registered?.headSha ?? '0'.repeat(40),
        GITHUB_TOKEN: token ?? defaultToken,
      };
    },

    artifacts() {
      return [...artifacts.values()]
        .filter((a) => !a.deleted)
        .map((a) => ({
          id: a.id,
          name: a.name,
          runId: toRunId(a.runBackendId),
          jobId: a.jobBackendId,
          repository: a.repository,
          size: a.size,
          blobSize: a.blobSize,
          digest: a.digest,
          mimeType: a.mimeType,
          zipPath: a.blobPath,
          createdAt: a.createdAt,
          expiresAt: a.expiresAt,
          expired: isExpired(a),
          finalized: a.finalized,
        }));
    },

    async readArtifactEntries(id) {
      const a = artifacts.get(Number(id));
      if (!a || a.deleted) throw new Error(`no artifact with id ${id}`);
      if (!a.committed) throw new Error(`artifact ${id} has no uploaded content`);
      return readZipFile(a.blobPath);
    },

    addWorkflowRun({
      id,
      workflow,
      workflowId,
      branch = 'main',
      status = 'completed',
      conclusion,
      createdAt,
      repository,
      name,
      event = 'push',
      headSha,
    }) {
      if (id === undefined || !workflow) throw new Error('addWorkflowRun: id and workflow are required');
      const runId = String(id);
      const repo = repository ?? runRepos.get(runId) ?? defaultRepository;
      const file = workflow.replace(/^\.github\/workflows\//, '');
      const wfId = workflowId ?? workflowIdFor(repo, file);
      workflowIds.set(`${repo.toLowerCase()}\n${file}`, wfId);
      const created = createdAt ? new Date(createdAt) : new Date();
      const workflowName = name ?? file.replace(/\.ya?ml$/, '');
      const run = {
        id: Number(id),
        repository: repo,
        workflow: file,
        workflowId: wfId,
        workflowName,
        name: workflowName,
        displayTitle: `${workflowName} #${nextRunNumber}`,
        runNumber: nextRunNumber++,
        branch,
        status,
        conclusion: conclusion !== undefined ? conclusion : status === 'completed' ? 'success' : null,
        event,
        headSha: headSha ?? createHmac('sha1', 'sha').update(runId).digest('hex'),
        createdAt: created,
        updatedAt: created,
      };
      runs.set(runId, run);
      runRepos.set(runId, repo);
      return runJson(run);
    },

    expireArtifact(id) {
      const a = artifacts.get(Number(id));
      if (!a) throw new Error(`no artifact with id ${id}`);
      a.expiredFlag = true;
    },

    inject({ route, failNext }) {
      if (!route || !failNext) throw new Error('inject: route and failNext are required');
      rules.push({
        route,
        remaining: failNext.count ?? 1,
        status: failNext.status ?? 500,
        message: failNext.message,
      });
    },

    clearInjections() {
      rules = [];
    },
  };
  return svc;
}
