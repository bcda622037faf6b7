// A Qdrant 1.19 REST emulator for tests, demos and benchmarks. See README.md beside this file.
/* global structuredClone */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import busboy from 'busboy';

import {
  QdrantError,
  alreadyExists,
  badInput,
  badRequest,
  checksumMismatch,
  collectionNotFound,
  deserializeError,
  forbidden,
  formatError,
  notFound,
  serviceError,
  validationError,
} from './errors.js';
import { FaultRule, bodyTransforms } from './faults.js';
import { DEFAULT_VERSION } from './make-snapshot.js';
import {
  FORMAT,
  HashCounter,
  jsonData,
  jsonlEntry,
  openSnapshot,
  readJsonlPoints,
  writeTar,
} from './snapshot-format.js';
import { Collection, compileFilter, normalizeConfig, normalizeId, toRecord } from './store.js';

export { writeSnapshotFile } from './make-snapshot.js';

const JSON_LIMIT = 32 * 1024 * 1024; // service.max_request_size_mb
const COMMIT = 'e1d3f5a7c9b0e2d4f6a8c0b2d4e6f8a0c2e4a6b8';
/** PayloadSchemaType in Qdrant 1.19. */
const PAYLOAD_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];
const MUTATING = new Set([
  'collection.create',
  'collection.delete',
  'collection.update',
  'aliases.update',
  'points.upsert',
  'index.create',
  'index.delete',
  'snapshot.create',
  'snapshot.delete',
  'snapshot.upload',
  'snapshot.recover',
  'full_snapshot.create',
  'full_snapshot.delete',
]);

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');
/** `2024-07-22-08-31-55` (UTC), as in snapshot names. @param {Date} d */
const stamp = (d) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(
    d.getUTCMinutes(),
  )}-${pad(d.getUTCSeconds())}`;
/** `2022-08-04T10:49:10` (NaiveDateTime, UTC, whole seconds), as in SnapshotDescription.creation_time. @param {Date} d */
const isoSeconds = (d) => d.toISOString().slice(0, 19);

/** @param {string} name */
function validateCollectionName(name) {
  if (name.length === 0 || name.length > 255)
    throw validationError('path parameters', `[name: length must be between 1 and 255]`);
  for (const ch of ['/', '\\', ':', '*', '?', '"', '<', '>', '|', '\0']) {
    if (name.includes(ch))
      throw validationError('path parameters', `[name: collection name cannot contain "${ch}" char]`);
  }
}

/**
 * @typedef {{
 *   req: import('node:http').IncomingMessage,
 *   res: import('node:http').ServerResponse,
 *   route: string,
 *   collection: string | undefined,
 *   params: Record<string, string>,
 *   query: Record<string, string>,
 *   rules: FaultRule[],
 *   started: bigint,
 *   access: 'rw' | 'ro' | 'none',
 * }} Ctx
 */

class Emulator {
  /** @param {any} opts */
  constructor(opts) {
    if (!opts || typeof opts.dataDir !== 'string')
      throw new TypeError('startEmulator: opts.dataDir is required');
    this.opts = opts;
    this.host = opts.host ?? '127.0.0.1';
    this.version = opts.version ?? DEFAULT_VERSION;
    this.peerId = opts.peerId ?? 1000000000000000 + crypto.randomInt(0, 2 ** 47);
    this.apiKey = opts.apiKey || undefined;
    this.readOnlyKey = opts.readOnlyKey || undefined;
    this.snapshotCreateDelayMs = opts.snapshotCreateDelayMs ?? 0;
    // Snapshots kept in S3 (storage.snapshots_config.snapshots_storage: s3): no checksum in the create
    // answer or the list, downloads streamed without Content-Length or byte ranges.
    this.s3Snapshots = opts.snapshotStorage === 's3';
    // A one-node cluster (cluster.enabled: true): GET /cluster says enabled, with this peer as leader.
    this.clusterEnabled = opts.cluster === true;
    this.dataDir = path.resolve(opts.dataDir);
    this.snapshotsDir = path.join(this.dataDir, 'snapshots');
    this.storageDir = path.join(this.dataDir, 'storage');
    this.tmpDir = path.join(this.dataDir, 'tmp');
    /** @type {Map<string, Collection>} */
    this.collections = new Map();
    /** @type {Map<string, string>} alias -> collection */
    this.aliases = new Map();
    /** @type {FaultRule[]} */
    this.rules = [];
    /** @type {Array<{method: string, path: string, query: Record<string, string>, status: number}>} */
    this.requests = [];
    /** @type {Set<import('node:net').Socket>} */
    this.sockets = new Set();
    /** @type {Set<Promise<unknown>>} */
    this.background = new Set();
    this.port = 0;
    this.url = '';
    this.closed = false;
    /** @type {import('node:http').Server | null} */
    this.server = null;
  }

  async init() {
    for (const d of [this.snapshotsDir, this.storageDir, path.join(this.storageDir, 'backing'), this.tmpDir])
      await fsp.mkdir(d, { recursive: true });
  }

  /** @param {number} port */
  async listen(port) {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent)
          this.sendRaw(res, 500, { 'content-type': 'text/plain' }, String(err?.stack ?? err));
        else res.destroy();
      });
    });
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve(undefined);
      });
    });
    this.server = server;
    const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
    this.port = addr.port;
    this.url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  async stopListening() {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.stopListening();
    await Promise.allSettled([...this.background]);
  }

  /** @param {{ downMs?: number }} [opts] */
  async restart(opts = {}) {
    await this.stopListening();
    if (opts.downMs) await sleep(opts.downMs);
    if (this.closed) return;
    await this.listen(this.port);
  }

  /** @param {import('./faults.js').FaultSpec} spec */
  inject(spec) {
    const rule = new FaultRule(spec, (r) => {
      const i = this.rules.indexOf(r);
      if (i >= 0) this.rules.splice(i, 1);
    });
    this.rules.push(rule);
    return rule;
  }

  clearFaults() {
    for (const r of [...this.rules]) r.remove();
  }

  /** @param {string} collection */
  snapshotFiles(collection) {
    const dir = path.join(this.snapshotsDir, collection);
    /** @type {import('node:fs').Dirent[]} */
    let names;
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return names
      .filter((d) => d.isFile() && !d.name.endsWith('.checksum'))
      .map((d) => d.name)
      .sort();
  }

  /** @param {string} name @param {any} config */
  async createCollection(name, config) {
    this.doCreateCollection(name, config ?? {});
    return true;
  }

  /** @param {string} name @param {any[]} points */
  async upsertPoints(name, points) {
    const col = this.resolve(name);
    return { operation_id: col.applyPoints(col.preparePoints(points)), status: 'completed' };
  }

  /**
   * Large-data mode: the collection is backed by a pre-made snapshot file, never loaded.
   * @param {string} name @param {string} snapshotFilePath @param {{ sha256?: string }} [opts]
   */
  async addCollectionFromSnapshot(name, snapshotFilePath, opts = {}) {
    validateCollectionName(name);
    if (this.collections.has(name)) throw alreadyExists(`Collection \`${name}\` already exists!`);
    const snap = await openSnapshot(snapshotFilePath);
    const col = new Collection(name, snap.config);
    await this.loadInto(col, snapshotFilePath, snap, 1, opts.sha256);
    this.collections.set(name, col);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async handle(req, res) {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://emulator');
    let p = url.pathname.replace(/\/+$/, '');
    if (p === '') p = '/';
    const query = Object.fromEntries(url.searchParams);
    const entry = { method: req.method ?? 'GET', path: p, query, status: 0 };
    this.requests.push(entry);
    const writeHead = res.writeHead.bind(res);
    /** @type {any} */ (res).writeHead = (/** @type {number} */ status, /** @type {any[]} */ ...rest) => {
      entry.status = status;
      return writeHead(status, ...rest);
    };

    const m = this.match(entry.method, p);
    const rules = this.rules.filter((r) => r.matches(m.route, m.collection));
    for (const r of rules) r.use();
    /** @type {Ctx} */
    const ctx = {
      req,
      res,
      route: m.route,
      collection: m.collection,
      params: m.params,
      query,
      rules,
      started,
      access: 'rw',
    };

    if (rules.some((r) => r.spec.hang)) {
      // accept the request, never answer (until close/restart destroys the socket)
      return;
    }
    const latency = rules.reduce((n, r) => n + (r.spec.latencyMs ?? 0), 0);
    if (latency > 0) await sleep(latency);
    for (const r of rules) {
      const f = r.takeFailure();
      if (!f) continue;
      req.resume();
      /** @type {Record<string, string>} */
      const headers = {};
      if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
      const msg = f.message ?? defaultFaultMessage(f.status);
      return this.sendJson(ctx, f.status, { status: { error: msg }, time: this.elapsed(ctx) }, headers);
    }

    // api-key middleware: whitelist is matched on route patterns, so unknown paths need a key too
    const whitelisted = ['root', 'healthz', 'livez', 'readyz'].includes(m.route);
    if ((this.apiKey || this.readOnlyKey) && !whitelisted) {
      const h = req.headers;
      const apiKey = typeof h['api-key'] === 'string' ? h['api-key'] : undefined;
      const auth = typeof h.authorization === 'string' ? h.authorization : undefined;
      const key = apiKey ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
      if (key === undefined) {
        req.resume();
        return this.sendText(ctx, 401, 'Must provide an API key or an Authorization bearer token');
      }
      if (this.apiKey && key === this.apiKey) ctx.access = 'rw';
      else if (this.readOnlyKey && key === this.readOnlyKey) ctx.access = 'ro';
      else {
        req.resume();
        return this.sendText(ctx, 401, 'Invalid API key or JWT');
      }
    }
    if (m.route === 'unknown') {
      req.resume();
      return this.sendRaw(res, 404, {}, '');
    }
    if (ctx.access === 'ro' && MUTATING.has(m.route)) {
      req.resume();
      const err = forbidden('Global manage access is required');
      // the upload handler checks access in an extractor (GHSA-3v92-w72v-j994): actix renders it as text
      if (m.route === 'snapshot.upload') return this.sendText(ctx, err.status, err.message);
      return this.sendError(ctx, err);
    }
    try {
      await m.handler(ctx);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof QdrantError) return this.sendError(ctx, err);
      return this.sendError(ctx, serviceError(String(/** @type {any} */ (err)?.message ?? err)));
    }
  }

  /**
   * @param {string} method @param {string} p
   * @returns {{ route: string, collection?: string, params: Record<string, string>, handler: (ctx: Ctx) => Promise<void> }}
   */
  match(method, p) {
    let seg;
    try {
      seg = p === '/' ? [] : p.slice(1).split('/').map(decodeURIComponent);
    } catch {
      seg = ['\0invalid'];
    }
    const unknown = { route: 'unknown', params: {}, handler: async () => {} };
    const [a, b, c, d] = seg;
    const n = seg.length;
    /** @param {string} route @param {(ctx: Ctx) => Promise<void>} handler @param {Record<string, string>} [params] */
    const r = (route, handler, params = {}) => ({ route, collection: params.collection, params, handler });
    if (n === 0) return method === 'GET' ? r('root', (x) => this.hRoot(x)) : unknown;
    if (n === 1) {
      if (method === 'GET' && a === 'healthz')
        return r('healthz', (x) => this.hHealth(x, 'healthz check passed'));
      if (method === 'GET' && a === 'livez')
        return r('livez', (x) => this.hHealth(x, 'healthz check passed'));
      if (method === 'GET' && a === 'readyz')
        return r('readyz', (x) => this.hHealth(x, 'all shards are ready'));
      if (method === 'GET' && a === 'cluster') return r('cluster', (x) => this.hCluster(x));
      if (method === 'GET' && a === 'aliases') return r('aliases.list', (x) => this.hAliases(x));
      if (a === 'collections' && method === 'GET') return r('collections.list', (x) => this.hCollections(x));
      if (a === 'snapshots' && method === 'GET') return r('full_snapshot.list', (x) => this.hFullList(x));
      if (a === 'snapshots' && method === 'POST')
        return r('full_snapshot.create', (x) => this.hFullCreate(x));
      return unknown;
    }
    if (a === 'snapshots' && n === 2) {
      const params = { snapshot: /** @type {string} */ (b) };
      if (method === 'GET') return r('full_snapshot.download', (x) => this.hFullDownload(x), params);
      if (method === 'DELETE') return r('full_snapshot.delete', (x) => this.hFullDelete(x), params);
      return unknown;
    }
    if (a !== 'collections') return unknown;
    if (n === 2 && b === 'aliases' && method === 'POST')
      return r('aliases.update', (x) => this.hUpdateAliases(x));
    const params = { collection: /** @type {string} */ (b) };
    if (n === 2) {
      if (method === 'GET') return r('collection.info', (x) => this.hInfo(x), params);
      if (method === 'PUT') return r('collection.create', (x) => this.hCreate(x), params);
      if (method === 'DELETE') return r('collection.delete', (x) => this.hDelete(x), params);
      if (method === 'PATCH') return r('collection.update', (x) => this.hUpdate(x), params);
      return unknown;
    }
    if (n === 3) {
      if (c === 'exists' && method === 'GET') return r('collection.exists', (x) => this.hExists(x), params);
      if (c === 'aliases' && method === 'GET') return r('aliases.list', (x) => this.hAliases(x), params);
      if (c === 'points' && method === 'PUT') return r('points.upsert', (x) => this.hUpsert(x), params);
      if (c === 'points' && method === 'POST') return r('points.get', (x) => this.hGetPoints(x), params);
      if (c === 'cluster' && method === 'GET')
        return r('collection.cluster', (x) => this.hCollectionCluster(x), params);
      if (c === 'index' && method === 'PUT') return r('index.create', (x) => this.hIndexCreate(x), params);
      if (c === 'snapshots' && method === 'GET') return r('snapshot.list', (x) => this.hSnapList(x), params);
      if (c === 'snapshots' && method === 'POST')
        return r('snapshot.create', (x) => this.hSnapCreate(x), params);
      return unknown;
    }
    if (n === 4) {
      if (c === 'index' && method === 'DELETE')
        return r('index.delete', (x) => this.hIndexDelete(x), {
          ...params,
          field: /** @type {string} */ (d),
        });
      if (c === 'points' && d === 'count' && method === 'POST')
        return r('points.count', (x) => this.hCount(x), params);
      if (c === 'points' && d === 'delete' && method === 'POST')
        return r('points.delete', (x) => this.hDeletePoints(x), params);
      if (c === 'points' && d === 'scroll' && method === 'POST')
        return r('points.scroll', (x) => this.hScroll(x), params);
      if (c === 'points' && d === 'query' && method === 'POST')
        return r('points.query', (x) => this.hQuery(x), params);
      if (c === 'snapshots') {
        if (d === 'upload' && method === 'POST') return r('snapshot.upload', (x) => this.hUpload(x), params);
        if (d === 'recover' && method === 'PUT')
          return r('snapshot.recover', (x) => this.hRecover(x), params);
        const sp = { ...params, snapshot: /** @type {string} */ (d) };
        if (method === 'GET') return r('snapshot.download', (x) => this.hSnapDownload(x), sp);
        if (method === 'DELETE') return r('snapshot.delete', (x) => this.hSnapDelete(x), sp);
      }
      return unknown;
    }
    return unknown;
  }

  /** @param {Ctx} ctx */
  elapsed(ctx) {
    return Number(process.hrtime.bigint() - ctx.started) / 1e9;
  }

  /**
   * Write a body, through the byte-level fault transforms that target responses.
   * @param {Ctx} ctx @param {number} status @param {Record<string, string | number>} headers
   * @param {Buffer | import('node:stream').Readable} body @param {number} [baseOffset]
   */
  async sendBody(ctx, status, headers, body, baseOffset = 0) {
    const { res, req } = ctx;
    const transforms =
      ctx.route === 'snapshot.upload'
        ? []
        : bodyTransforms(ctx.rules, { onReset: () => req.socket.destroy(), baseOffset });
    if (Buffer.isBuffer(body)) headers['content-length'] = body.length;
    res.writeHead(status, headers);
    if (transforms.length === 0 && Buffer.isBuffer(body)) {
      res.end(body);
      return;
    }
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    try {
      await pipeline(source, ...transforms, res);
    } catch {
      res.destroy();
    }
  }

  /** @param {import('node:http').ServerResponse} res @param {number} status @param {Record<string, string>} headers @param {string} body */
  sendRaw(res, status, headers, body) {
    const buf = Buffer.from(body);
    res.writeHead(status, { ...headers, 'content-length': buf.length });
    res.end(buf);
  }

  /** @param {Ctx} ctx @param {number} status @param {any} obj @param {Record<string, string>} [headers] */
  sendJson(ctx, status, obj, headers = {}) {
    return this.sendBody(
      ctx,
      status,
      { 'content-type': 'application/json', ...headers },
      Buffer.from(JSON.stringify(obj)),
    );
  }

  /** @param {Ctx} ctx @param {number} status @param {string} text */
  sendText(ctx, status, text) {
    return this.sendBody(ctx, status, { 'content-type': 'text/plain; charset=utf-8' }, Buffer.from(text));
  }

  /** @param {Ctx} ctx @param {any} result */
  ok(ctx, result) {
    return this.sendJson(ctx, 200, { result, status: 'ok', time: this.elapsed(ctx) });
  }

  /** @param {Ctx} ctx */
  accepted(ctx) {
    return this.sendJson(ctx, 202, { status: 'accepted', time: this.elapsed(ctx) });
  }

  /** @param {Ctx} ctx @param {QdrantError} err */
  sendError(ctx, err) {
    if (err.plainText) return this.sendText(ctx, err.status, err.message);
    return this.sendJson(
      ctx,
      err.status,
      { status: { error: err.message }, time: this.elapsed(ctx) },
      err.headers,
    );
  }

  /**
   * Read and parse a JSON body the way actix's Json extractor does (content type required, 32 MiB).
   * @param {Ctx} ctx
   */
  async readJson(ctx) {
    const ct = String(ctx.req.headers['content-type'] ?? '');
    const mime = (ct.split(';')[0] ?? '').trim().toLowerCase();
    if (!(mime === 'application/json' || mime.endsWith('+json'))) {
      ctx.req.resume();
      throw new QdrantError(400, 'Content type error');
    }
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += chunk.length;
      if (size > JSON_LIMIT) {
        ctx.req.resume();
        throw new QdrantError(
          400,
          `JSON payload (${size} bytes) is larger than allowed (limit: ${JSON_LIMIT} bytes).`,
        );
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      if (text.trim() === '') throw formatError('JSON body', 'EOF while parsing a value at line 1 column 0');
      throw formatError('JSON body', String(/** @type {any} */ (err).message));
    }
  }

  /** @param {Ctx} ctx @param {string} name */
  boolParam(ctx, name) {
    const v = ctx.query[name];
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw deserializeError('query parameters', `${name}: provided string was not \`true\` or \`false\``);
  }

  /** @param {string | undefined} v */
  priorityParam(v) {
    if (v === undefined || v === null) return undefined;
    if (['no_sync', 'snapshot', 'replica'].includes(v)) return v;
    throw deserializeError(
      'query parameters',
      `unknown variant \`${v}\`, expected one of \`no_sync\`, \`snapshot\`, \`replica\``,
    );
  }

  /** Collection by name or alias. @param {string} name */
  resolve(name) {
    const col = this.collections.get(name) ?? this.collections.get(this.aliases.get(name) ?? '\0');
    if (!col) throw collectionNotFound(name);
    return col;
  }

  /** @param {Ctx} ctx */
  colName(ctx) {
    return /** @type {string} */ (ctx.params.collection);
  }

  /** @param {Ctx} ctx @param {string} rule */
  ruleValue(ctx, rule) {
    for (const r of ctx.rules) {
      const v = /** @type {any} */ (r.spec)[rule];
      if (v !== undefined) return v;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- service

  /** @param {Ctx} ctx */
  async hRoot(ctx) {
    await this.sendJson(ctx, 200, {
      title: 'qdrant - vector search engine',
      version: this.version,
      commit: COMMIT,
    });
  }

  /** @param {Ctx} ctx @param {string} text */
  async hHealth(ctx, text) {
    await this.sendText(ctx, 200, text);
  }

  // ---------------------------------------------------------------- collections

  /** @param {Ctx} ctx */
  async hCollections(ctx) {
    await this.ok(ctx, { collections: [...this.collections.keys()].map((name) => ({ name })) });
  }

  /** @param {Collection} col */
  info(col) {
    const n = col.count;
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: n,
      segments_count: Math.max(1, Math.min(8, Math.ceil(n / 100000))) + 1,
      config: structuredClone(col.config),
      payload_schema: col.payloadSchema(),
    };
  }

  /** @param {Ctx} ctx */
  async hInfo(ctx) {
    await this.ok(ctx, this.info(this.resolve(this.colName(ctx))));
  }

  /** @param {Ctx} ctx */
  async hExists(ctx) {
    const name = this.colName(ctx);
    await this.ok(ctx, { exists: this.collections.has(name) || this.aliases.has(name) });
  }

  /** @param {string} name @param {any} body */
  doCreateCollection(name, body) {
    validateCollectionName(name);
    const config = normalizeConfig(body);
    if (this.collections.has(name)) throw alreadyExists(`Collection \`${name}\` already exists!`);
    if (this.aliases.has(name))
      throw badInput(`Can't create collection with name ${name}. Alias with the same name already exists`);
    const col = new Collection(name, config);
    this.collections.set(name, col);
    return col;
  }

  /** @param {Ctx} ctx */
  async hCreate(ctx) {
    const body = await this.readJson(ctx);
    this.doCreateCollection(this.colName(ctx), body);
    await this.ok(ctx, true);
  }

  /**
   * PATCH /collections/{c}: settings change in place (HNSW, optimizers, quantization, strict mode and the
   * replication parameters); vectors and shard_number do not.
   * @param {Ctx} ctx
   */
  async hUpdate(ctx) {
    const col = this.resolve(this.colName(ctx));
    const body = (await this.readJson(ctx)) ?? {};
    const c = col.config;
    if (body.hnsw_config) c.hnsw_config = { ...c.hnsw_config, ...body.hnsw_config };
    if (body.optimizers_config) c.optimizer_config = { ...c.optimizer_config, ...body.optimizers_config };
    if (body.quantization_config !== undefined)
      c.quantization_config = body.quantization_config === 'Disabled' ? null : body.quantization_config;
    if (body.strict_mode_config)
      c.strict_mode_config = { ...c.strict_mode_config, ...body.strict_mode_config };
    if (body.params) {
      for (const k of [
        'replication_factor',
        'write_consistency_factor',
        'on_disk_payload',
        'read_fan_out_factor',
      ])
        if (body.params[k] !== undefined) c.params[k] = body.params[k];
    }
    await this.ok(ctx, true);
  }

  /** @param {string} name */
  async dropCollection(name) {
    for (const [alias, target] of [...this.aliases]) if (target === name) this.aliases.delete(alias);
    const col = this.collections.get(name);
    if (!col) return false;
    this.collections.delete(name);
    await this.releaseBacking(col);
    return true;
  }

  /** @param {Collection} col */
  async releaseBacking(col) {
    const b = col.backing;
    col.backing = null;
    if (b && b.file.startsWith(path.join(this.storageDir, 'backing') + path.sep))
      await fsp.rm(b.file, { force: true });
  }

  /** @param {Ctx} ctx */
  async hDelete(ctx) {
    await this.ok(ctx, await this.dropCollection(this.colName(ctx)));
  }

  // ---------------------------------------------------------------- aliases

  /** @param {Ctx} ctx */
  async hAliases(ctx) {
    let list = [...this.aliases].map(([alias_name, collection_name]) => ({ alias_name, collection_name }));
    if (ctx.params.collection !== undefined) {
      const col = this.resolve(ctx.params.collection);
      list = list.filter((a) => a.collection_name === col.name);
    }
    await this.ok(ctx, { aliases: list });
  }

  /** @param {Ctx} ctx */
  async hUpdateAliases(ctx) {
    const body = await this.readJson(ctx);
    if (!body || !Array.isArray(body.actions)) throw formatError('JSON body', 'missing field `actions`');
    const next = new Map(this.aliases);
    for (const action of body.actions) {
      if (action?.create_alias) {
        const { collection_name, alias_name } = action.create_alias;
        if (typeof collection_name !== 'string' || typeof alias_name !== 'string')
          throw formatError('JSON body', 'missing field `collection_name` or `alias_name`');
        if (!this.collections.has(collection_name)) throw collectionNotFound(collection_name);
        if (this.collections.has(alias_name))
          throw alreadyExists(`Collection \`${alias_name}\` already exists!`);
        next.set(alias_name, collection_name);
      } else if (action?.delete_alias) {
        next.delete(action.delete_alias.alias_name);
      } else if (action?.rename_alias) {
        const { old_alias_name, new_alias_name } = action.rename_alias;
        const target = next.get(old_alias_name);
        if (target === undefined) throw notFound(`Alias ${old_alias_name} does not exists!`);
        next.delete(old_alias_name);
        next.set(new_alias_name, target);
      } else {
        throw formatError('JSON body', 'data did not match any variant of untagged enum AliasOperations');
      }
    }
    this.aliases = next;
    await this.ok(ctx, true);
  }

  // ---------------------------------------------------------------- points

  /** @param {Ctx} ctx */
  async hUpsert(ctx) {
    const wait = this.boolParam(ctx, 'wait');
    const col = this.resolve(this.colName(ctx));
    const body = await this.readJson(ctx);
    /** @type {any[]} */
    let points;
    if (body && Array.isArray(body.points)) points = body.points;
    else if (body && body.batch && Array.isArray(body.batch.ids)) {
      const { ids, vectors, payloads } = body.batch;
      points = ids.map((/** @type {any} */ id, /** @type {number} */ i) => {
        let vector;
        if (Array.isArray(vectors)) vector = vectors[i];
        else if (vectors && typeof vectors === 'object')
          vector = Object.fromEntries(
            Object.entries(vectors).map(([k, v]) => [k, /** @type {any[]} */ (v)[i]]),
          );
        return { id, vector, payload: Array.isArray(payloads) ? payloads[i] : undefined };
      });
    } else
      throw formatError('JSON body', 'data did not match any variant of untagged enum PointInsertOperations');
    const opId = col.applyPoints(col.preparePoints(points));
    await this.ok(ctx, { operation_id: opId, status: wait === true ? 'completed' : 'acknowledged' });
  }

  /** POST /collections/{c}/points/delete {points: [ids]}. @param {Ctx} ctx */
  async hDeletePoints(ctx) {
    const wait = this.boolParam(ctx, 'wait');
    const col = this.resolve(this.colName(ctx));
    const body = await this.readJson(ctx);
    if (!body || !Array.isArray(body.points))
      throw formatError('JSON body', 'data did not match any variant of untagged enum PointsSelector');
    const opId = col.deletePoints(body.points);
    await this.ok(ctx, { operation_id: opId, status: wait === true ? 'completed' : 'acknowledged' });
  }

  /** @param {Ctx} ctx */
  async hIndexCreate(ctx) {
    const wait = this.boolParam(ctx, 'wait');
    const col = this.resolve(this.colName(ctx));
    const body = await this.readJson(ctx);
    if (!body || typeof body.field_name !== 'string')
      throw formatError('JSON body', 'missing field `field_name`');
    const schema = body.field_schema;
    const type = typeof schema === 'string' ? schema : schema?.type;
    if (!PAYLOAD_TYPES.includes(type))
      throw formatError(
        'JSON body',
        `field_schema: unknown variant \`${type}\`, expected one of ${PAYLOAD_TYPES.map((t) => `\`${t}\``).join(', ')}`,
      );
    col.payloadIndexes[body.field_name] = structuredClone(schema);
    col.dataIndexes[body.field_name] = structuredClone(schema);
    await this.ok(ctx, {
      operation_id: col.operationId++,
      status: wait === true ? 'completed' : 'acknowledged',
    });
  }

  /** @param {Ctx} ctx */
  async hIndexDelete(ctx) {
    const wait = this.boolParam(ctx, 'wait');
    const col = this.resolve(this.colName(ctx));
    const field = /** @type {string} */ (ctx.params.field);
    delete col.payloadIndexes[field];
    delete col.dataIndexes[field];
    await this.ok(ctx, {
      operation_id: col.operationId++,
      status: wait === true ? 'completed' : 'acknowledged',
    });
  }

  /** @param {Ctx} ctx */
  async hGetPoints(ctx) {
    const col = this.resolve(this.colName(ctx));
    const body = await this.readJson(ctx);
    if (!body || !Array.isArray(body.ids)) throw formatError('JSON body', 'missing field `ids`');
    const found = col.pointsByIds([
      ...new Map(
        body.ids.map((/** @type {any} */ id) => [JSON.stringify(normalizeId(id)), normalizeId(id)]),
      ).values(),
    ]);
    const withPayload = body.with_payload ?? true;
    const withVector = body.with_vector ?? false;
    await this.ok(
      ctx,
      found.map((p) => toRecord(p, withPayload, withVector)),
    );
  }

  /**
   * POST /collections/{c}/points/query: only `{query: {sample: 'random'}}`, what a backup's sample
   * fingerprint asks; answered as Qdrant does, with a version and a score of 1 per point.
   * @param {Ctx} ctx
   */
  async hQuery(ctx) {
    const col = this.resolve(this.colName(ctx));
    const body = (await this.readJson(ctx)) ?? {};
    if (body.query?.sample !== 'random') {
      throw badInput('The emulator answers only `{"query": {"sample": "random"}}` on points/query.');
    }
    const limit = body.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1)
      throw validationError('JSON body', `[limit: value ${limit} invalid, must be 1 or larger]`);
    const points = col.pointsByIds(col.randomIds(limit)).map((p) => ({
      ...toRecord(p, body.with_payload ?? false, body.with_vector ?? false),
      version: 0,
      score: 1,
    }));
    await this.ok(ctx, { points });
  }

  /** @param {Ctx} ctx */
  async hCount(ctx) {
    const col = this.resolve(this.colName(ctx));
    const body = await this.readJson(ctx);
    const filter = compileFilter(body?.filter);
    await this.ok(ctx, { count: col.countWhere(filter) });
  }

  /** @param {Ctx} ctx */
  async hScroll(ctx) {
    const col = this.resolve(this.colName(ctx));
    const body = (await this.readJson(ctx)) ?? {};
    const limit = body.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1)
      throw validationError('JSON body', `[limit: value ${limit} invalid, must be 1 or larger]`);
    const offset = body.offset === undefined || body.offset === null ? null : normalizeId(body.offset);
    const filter = compileFilter(body.filter);
    const page = col.page(offset, limit, filter);
    const points = page
      .slice(0, limit)
      .map((p) => toRecord(p, body.with_payload ?? true, body.with_vector ?? false));
    const next = page.length > limit ? /** @type {any} */ (page[limit]).id : null;
    await this.ok(ctx, { points, next_page_offset: next });
  }

  // ---------------------------------------------------------------- cluster

  /** @param {Ctx} ctx */
  async hCluster(ctx) {
    if (!this.clusterEnabled) return this.ok(ctx, { status: 'disabled' });
    await this.ok(ctx, {
      status: 'enabled',
      peer_id: this.peerId,
      peers: { [this.peerId]: { uri: `http://${this.host}:${this.port + 2}/` } },
      raft_info: {
        term: 1,
        commit: 1 + this.collections.size,
        pending_operations: 0,
        leader: this.peerId,
        role: 'Leader',
        is_voter: true,
      },
      consensus_thread_status: { consensus_thread_status: 'working', last_update: new Date().toISOString() },
      message_send_failures: {},
    });
  }

  /**
   * GET /collections/{c}/cluster: every shard is local on one node. Points go to shards by a hash of
   * their id (Qdrant's hash ring places them differently; only the total is meant to match).
   * @param {Ctx} ctx
   */
  async hCollectionCluster(ctx) {
    const col = this.resolve(this.colName(ctx));
    const shards = col.config.params.shard_number ?? 1;
    const counts = new Array(shards).fill(0);
    if (shards === 1) counts[0] = col.count;
    else for (const p of col.page(null, Number.MAX_SAFE_INTEGER - 1)) counts[shardOf(p.id, shards)]++;
    await this.ok(ctx, {
      peer_id: this.peerId,
      shard_count: shards,
      local_shards: counts.map((points_count, shard_id) => ({ shard_id, points_count, state: 'Active' })),
      remote_shards: [],
      shard_transfers: [],
    });
  }

  // ---------------------------------------------------------------- collection snapshots

  /** @param {string} file @param {string} name */
  async describe(file, name) {
    const st = await fsp.stat(file);
    /** @type {{name: string, creation_time: string, size: number, checksum?: string}} */
    const d = { name, creation_time: isoSeconds(st.mtime), size: st.size };
    if (this.s3Snapshots) return d;
    try {
      d.checksum = (await fsp.readFile(`${file}.checksum`, 'utf8')).trim();
    } catch {}
    return d;
  }

  /** @param {Ctx} ctx @param {{checksum?: string}} d */
  maybeWrongChecksum(ctx, d) {
    if (d.checksum && ctx.rules.some((r) => r.spec.wrongChecksum)) {
      const c = d.checksum;
      d.checksum = (c[0] === '0' ? '1' : '0') + c.slice(1);
    }
    return d;
  }

  /** @param {string} dir */
  async listDir(dir) {
    /** @type {import('node:fs').Dirent[]} */
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const out = [];
    for (const e of entries.sort((x, y) => (x.name < y.name ? -1 : 1))) {
      if (e.isFile() && e.name.endsWith('.snapshot'))
        out.push(await this.describe(path.join(dir, e.name), e.name));
    }
    return out;
  }

  /** @param {Ctx} ctx */
  async hSnapList(ctx) {
    const col = this.resolve(this.colName(ctx));
    const list = await this.listDir(path.join(this.snapshotsDir, col.name));
    await this.ok(
      ctx,
      list.map((d) => this.maybeWrongChecksum(ctx, d)),
    );
  }

  /**
   * `{prefix}-{YYYY-MM-DD-HH-MM-SS}.snapshot`, to the second: two snapshots taken within one second get
   * the same name and the second replaces the first, as in Qdrant.
   * @param {string} dir @param {string} prefix
   */
  snapshotName(dir, prefix) {
    const name = `${prefix}-${stamp(new Date())}.snapshot`;
    return { name, full: path.join(dir, name) };
  }

  /** @param {string} p */
  tmpPath(p) {
    return path.join(this.tmpDir, `${path.basename(p)}-${crypto.randomBytes(6).toString('hex')}`);
  }

  /**
   * Write the snapshot of `col` to `target` (via a temp file and a .checksum sidecar, like Qdrant).
   * @param {Collection} col @param {string} target
   */
  async writeCollectionSnapshot(col, target) {
    const tmp = this.tmpPath(target);
    let sha256;
    const b = col.backing;
    if (b && b.count === b.fullCount) {
      try {
        await fsp.link(b.file, tmp);
      } catch {
        await fsp.copyFile(b.file, tmp);
      }
      const now = new Date();
      await fsp.utimes(tmp, now, now);
      if (!b.sha256) b.sha256 = await hashFile(tmp);
      sha256 = b.sha256;
    } else if (b) {
      const meta = {
        format: FORMAT,
        version: this.version,
        collection: col.name,
        points: b.count,
        layout: 'vectors-bin',
        dim: b.dim,
        vectorName: b.vectorName,
        idStart: b.idStart,
        payloadIndexes: col.dataIndexes,
      };
      const bytes = b.count * b.dim * 4;
      const stream =
        bytes > 0
          ? fs.createReadStream(b.file, { start: b.offset, end: b.offset + bytes - 1 })
          : Readable.from([]);
      ({ sha256 } = await writeTar(tmp, [
        { name: 'meta.json', size: 0, data: jsonData(meta) },
        { name: 'config.json', size: 0, data: jsonData(col.config) },
        { name: 'vectors.bin', size: bytes, stream },
      ]));
    } else {
      const points = col.sortedPoints();
      const meta = {
        format: FORMAT,
        version: this.version,
        collection: col.name,
        points: points.length,
        layout: 'jsonl',
        payloadIndexes: col.dataIndexes,
      };
      const body = jsonlEntry(points);
      ({ sha256 } = await writeTar(tmp, [
        { name: 'meta.json', size: 0, data: jsonData(meta) },
        { name: 'config.json', size: 0, data: jsonData(col.config) },
        { name: 'points.jsonl', size: body.size, stream: body.stream },
      ]));
    }
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await this.writeChecksum(target, sha256);
    await fsp.rename(tmp, target);
    return sha256;
  }

  /**
   * The `.checksum` sidecar, replaced whole: a snapshot of the same name being made again (same second)
   * must never be listed with a half-written checksum.
   * @param {string} snapshot @param {string} sha256
   */
  async writeChecksum(snapshot, sha256) {
    const tmp = this.tmpPath(`${snapshot}.checksum`);
    await fsp.writeFile(tmp, sha256);
    await fsp.rename(tmp, `${snapshot}.checksum`);
  }

  /** @param {Ctx} ctx */
  createDelay(ctx) {
    return (this.ruleValue(ctx, 'createDelayMs') ?? 0) + this.snapshotCreateDelayMs;
  }

  /**
   * Run `work` now (wait=true) or in the background answering 202 (wait=false), as time_or_accept does.
   * @param {Ctx} ctx @param {boolean} wait @param {() => Promise<any>} work
   */
  async timeOrAccept(ctx, wait, work) {
    if (wait) return this.ok(ctx, await work());
    const task = work().catch(() => {});
    this.background.add(task);
    task.finally(() => this.background.delete(task));
    return this.accepted(ctx);
  }

  /** @param {Ctx} ctx */
  async hSnapCreate(ctx) {
    const wait = this.boolParam(ctx, 'wait') ?? true;
    const col = this.resolve(this.colName(ctx));
    const dir = path.join(this.snapshotsDir, col.name);
    const delay = this.createDelay(ctx);
    await this.timeOrAccept(ctx, wait, async () => {
      const { name, full } = this.snapshotName(dir, `${col.name}-${this.peerId}`);
      if (delay > 0) await sleep(delay);
      await this.writeCollectionSnapshot(col, full);
      return this.maybeWrongChecksum(ctx, await this.describe(full, name));
    });
  }

  /**
   * Resolve a snapshot file in `dir` as Qdrant does (no path components, must be a file).
   * @param {string} dir @param {string} name
   */
  async snapshotPath(dir, name) {
    if (path.basename(name) !== name || name === '.' || name === '..')
      throw notFound(`Snapshot ${name} not found`);
    const full = path.join(dir, name);
    try {
      const st = await fsp.stat(full);
      if (!st.isFile()) throw new Error('not a file');
    } catch {
      throw notFound(`Snapshot ${name} not found`);
    }
    return full;
  }

  /**
   * Serve a file like actix-files' NamedFile: Content-Length, attachment, ETag, byte ranges.
   * @param {Ctx} ctx @param {string} file @param {string} name
   */
  async serveFile(ctx, file, name) {
    if (this.s3Snapshots) {
      // Streamed from the bucket: no length, no ranges, no file metadata.
      await this.sendBody(
        ctx,
        200,
        { 'content-type': 'application/octet-stream' },
        fs.createReadStream(file),
      );
      return;
    }
    const st = await fsp.stat(file);
    const size = st.size;
    /** @type {Record<string, string | number>} */
    const headers = {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${name}"`,
      'accept-ranges': 'bytes',
      'last-modified': st.mtime.toUTCString(),
      etag: `"${st.ino.toString(16)}:${size.toString(16)}:${Math.floor(st.mtimeMs).toString(16)}"`,
    };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = ctx.req.headers.range;
    if (typeof range === 'string') {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      let ok = false;
      if (m && (m[1] !== '' || m[2] !== '')) {
        if (m[1] === '') {
          const suffix = Number(m[2]);
          start = Math.max(0, size - suffix);
          ok = suffix > 0 && size > 0;
        } else {
          start = Number(m[1]);
          end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
          ok = start < size && start <= end;
        }
      }
      if (!ok) {
        ctx.res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0 });
        ctx.res.end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = end - start + 1;
    const stream =
      size === 0 ? Readable.from([]) : fs.createReadStream(file, { start, end, highWaterMark: 1024 * 1024 });
    await this.sendBody(ctx, status, headers, stream, start);
  }

  /**
   * Download errors are rendered by actix's default ResponseError: text/plain, not the JSON envelope.
   * @param {() => Promise<void>} fn
   */
  async plainErrors(fn) {
    try {
      await fn();
    } catch (err) {
      if (err instanceof QdrantError) err.plainText = true;
      throw err;
    }
  }

  /** @param {Ctx} ctx */
  async hSnapDownload(ctx) {
    await this.plainErrors(async () => {
      const col = this.resolve(this.colName(ctx));
      const name = /** @type {string} */ (ctx.params.snapshot);
      const file = await this.snapshotPath(path.join(this.snapshotsDir, col.name), name);
      await this.serveFile(ctx, file, name);
    });
  }

  /** @param {Ctx} ctx */
  async hSnapDelete(ctx) {
    const wait = this.boolParam(ctx, 'wait') ?? true;
    const col = this.resolve(this.colName(ctx));
    const file = await this.snapshotPath(
      path.join(this.snapshotsDir, col.name),
      /** @type {string} */ (ctx.params.snapshot),
    );
    await this.timeOrAccept(ctx, wait, async () => {
      await fsp.rm(file);
      await fsp.rm(`${file}.checksum`, { force: true });
      return true;
    });
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Put the content of snapshot `file` into `col` (in memory for jsonl, as a backing file otherwise).
   * @param {Collection} col @param {string} file @param {{meta: any, entries: Map<string, {offset: number, size: number}>}} snap
   * @param {number} keep fraction of points to keep (fault injection) @param {string} [sha256]
   */
  async loadInto(col, file, snap, keep, sha256) {
    const { meta, entries } = snap;
    if (meta.layout === 'vectors-bin') {
      const backingFile = path.join(
        this.storageDir,
        'backing',
        `${col.name}-${crypto.randomUUID()}.snapshot`,
      );
      try {
        await fsp.link(file, backingFile);
      } catch {
        await fsp.copyFile(file, backingFile);
      }
      await this.releaseBacking(col);
      col.replacePoints([]);
      const count = keep >= 1 ? meta.points : Math.floor(meta.points * keep);
      col.backing = {
        file: backingFile,
        count,
        fullCount: meta.points,
        dim: meta.dim,
        offset: /** @type {{offset: number}} */ (entries.get('vectors.bin')).offset,
        idStart: meta.idStart ?? 1,
        vectorName: meta.vectorName ?? '',
        sha256: count === meta.points ? sha256 : undefined,
      };
      return;
    }
    const points = [];
    for await (const p of readJsonlPoints(
      file,
      /** @type {{offset: number, size: number}} */ (entries.get('points.jsonl')),
    ))
      points.push(p);
    const kept = keep >= 1 ? points : points.slice(0, Math.floor(points.length * keep));
    await this.releaseBacking(col);
    col.replacePoints(kept);
  }

  /**
   * Recover collection `name` from a snapshot file, as _do_recover_from_snapshot does on one node.
   * @param {string} name @param {string} file
   * @param {{ priority?: string, keep: number, sha256?: string }} opts
   */
  async recoverFrom(name, file, opts) {
    /** @type {any} */
    let snap;
    try {
      snap = await openSnapshot(file);
    } catch (err) {
      throw serviceError(
        `File IO error: Malformed tar archive, unable to read entries (emulator: ${/** @type {Error} */ (err).message})`,
      );
    }
    // No version check here: Qdrant's recovery path has none (the tool's own guard is the only one).
    let col = this.collections.get(name) ?? this.collections.get(this.aliases.get(name) ?? '\0');
    let created = false;
    if (!col) {
      col = this.doCreateCollection(name, snap.config);
      created = true;
    }
    const a = col.config.params;
    const s = snap.config.params;
    if (stable(a.vectors) !== stable(s.vectors))
      throw badInput(
        `Snapshot is not compatible with existing collection: Collection vectors: ${stable(a.vectors)} Snapshot Vectors: ${stable(s.vectors)}`,
      );
    if ((a.shard_number ?? 1) !== (s.shard_number ?? 1))
      throw badInput(
        `Snapshot is not compatible with existing collection: Collection shard number: ${a.shard_number} Snapshot shard number: ${s.shard_number}`,
      );
    // `priority` only decides between this snapshot and other active replicas of the shard: a single
    // node has none, so every priority recovers the snapshot (and `snapshot` is the default).
    void opts.priority;
    await this.loadInto(col, file, snap, opts.keep, opts.sha256);
    // The data brings its payload indexes; the collection registers them only when it is new.
    const carried = snap.meta.payloadIndexes ?? {};
    col.dataIndexes = created
      ? structuredClone(carried)
      : { ...structuredClone(carried), ...col.payloadIndexes };
    if (created) col.payloadIndexes = structuredClone(carried);
    return true;
  }

  /** @param {Ctx} ctx */
  keepFraction(ctx) {
    const f = this.ruleValue(ctx, 'recoverKeepFraction');
    return typeof f === 'number' ? f : 1;
  }

  /** @param {Ctx} ctx */
  async hUpload(ctx) {
    const { req } = ctx;
    const name = this.colName(ctx);
    const wait = this.boolParam(ctx, 'wait') ?? true;
    const priority = this.priorityParam(ctx.query.priority);
    const checksum = ctx.query.checksum;
    if (checksum !== undefined) {
      if (checksum.length !== 64)
        throw validationError(
          'query parameters',
          `[checksum: invalid_sha256_hash (length ${checksum.length}, expected 64)]`,
        );
      if (!/^[0-9a-fA-F]{64}$/.test(checksum))
        throw validationError('query parameters', '[checksum: invalid characters, expected 0-9, a-f, A-F]');
    }
    validateCollectionName(name);
    const keep = this.keepFraction(ctx);

    /** @type {ReturnType<typeof busboy>} */
    let bb;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1 } });
    } catch (err) {
      req.resume();
      throw new QdrantError(400, `Multipart form error: ${/** @type {Error} */ (err).message}`, {
        plainText: true,
      });
    }
    const tmp = path.join(this.tmpDir, `upload-${crypto.randomUUID()}`);
    /** @type {{ sha256: string, size: number, filename: string } | null} */
    let saved = null;
    /** @type {Promise<void>[]} */
    const writes = [];
    /** @type {import('node:stream').Readable[]} */
    const fileStreams = [];
    bb.on('file', (field, stream, info) => {
      if (field !== 'snapshot' || saved || writes.length > 0) {
        stream.resume();
        return;
      }
      const counter = new HashCounter();
      fileStreams.push(stream);
      const w = pipeline(stream, counter, fs.createWriteStream(tmp)).then(() => {
        saved = { sha256: counter.digest(), size: counter.bytes, filename: info.filename ?? '' };
      });
      w.catch(() => {});
      writes.push(w);
    });
    const transforms = bodyTransforms(ctx.rules, { onReset: () => req.socket.destroy() });
    try {
      await pipeline(req, ...transforms, /** @type {any} */ (bb));
      await Promise.all(writes);
    } catch (err) {
      for (const f of fileStreams) f.destroy();
      await Promise.allSettled(writes);
      await fsp.rm(tmp, { force: true });
      if (req.destroyed || req.socket.destroyed) return; // connection cut: nobody to answer
      throw new QdrantError(400, `Multipart form error: ${/** @type {Error} */ (err).message}`, {
        plainText: true,
      });
    }
    const upload = /** @type {{ sha256: string, size: number, filename: string } | null} */ (saved);
    if (!upload) {
      await fsp.rm(tmp, { force: true });
      throw new QdrantError(400, 'Multipart form error: field `snapshot` is missing', { plainText: true });
    }
    await this.timeOrAccept(ctx, wait, async () => {
      if (checksum !== undefined && upload.sha256.toLowerCase() !== checksum.toLowerCase()) {
        await fsp.rm(tmp, { force: true });
        // sic: Qdrant passes (computed, given) as (expected, actual)
        throw checksumMismatch(upload.sha256, checksum);
      }
      // Qdrant keeps the uploaded file in the collection's snapshots folder, under the multipart file name
      const dir = path.join(this.snapshotsDir, name);
      await fsp.mkdir(dir, { recursive: true });
      const base = path.basename(upload.filename || '') || crypto.randomUUID();
      const dest = path.join(dir, base);
      await fsp.rename(tmp, dest);
      return this.recoverFrom(name, dest, { priority, keep, sha256: upload.sha256 });
    });
  }

  /** @param {Ctx} ctx */
  async hRecover(ctx) {
    const wait = this.boolParam(ctx, 'wait') ?? true;
    const name = this.colName(ctx);
    const body = await this.readJson(ctx);
    if (!body || typeof body !== 'object' || typeof body.location !== 'string')
      throw formatError('JSON body', 'missing field `location` at line 1 column 2');
    const priority = this.priorityParam(body.priority ?? undefined);
    /** @type {URL} */
    let url;
    try {
      url = new URL(body.location);
    } catch {
      throw formatError('JSON body', 'relative URL without a base');
    }
    if (body.checksum !== undefined && body.checksum !== null && !/^[0-9a-fA-F]{64}$/.test(body.checksum))
      throw validationError('JSON body', '[checksum: invalid_sha256_hash]');
    const keep = this.keepFraction(ctx);
    await this.timeOrAccept(ctx, wait, async () => {
      if (url.protocol === 'file:') {
        const local = fileURLToPath(url);
        if (!fs.existsSync(local)) throw badRequest(`Snapshot file ${JSON.stringify(local)} does not exist`);
        const real = await fsp.realpath(local);
        const allowed = await fsp.realpath(this.snapshotsDir);
        if (!real.startsWith(allowed + path.sep))
          throw forbidden(
            `Snapshot file path must be inside the snapshots directory ${JSON.stringify(allowed)}`,
          );
        const sha = body.checksum ? await hashFile(real) : undefined;
        if (body.checksum && sha !== String(body.checksum).toLowerCase())
          throw badInput(`Snapshot checksum mismatch: expected ${body.checksum}, got ${sha}`);
        return this.recoverFrom(name, real, { priority, keep, sha256: sha });
      }
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        const tmp = path.join(this.tmpDir, `download-${crypto.randomUUID()}`);
        try {
          /** @type {Record<string, string>} */
          const headers = {};
          if (body.api_key) headers['api-key'] = body.api_key;
          const resp = await fetch(url, { headers });
          if (!resp.ok || !resp.body) {
            await resp.body?.cancel();
            throw badInput(
              `Failed to download tar from ${url}: status - ${resp.status} ${http.STATUS_CODES[resp.status] ?? ''}`.trimEnd(),
            );
          }
          const counter = new HashCounter();
          await pipeline(
            Readable.fromWeb(/** @type {any} */ (resp.body)),
            counter,
            fs.createWriteStream(tmp),
          );
          const sha = counter.digest();
          if (body.checksum && sha !== String(body.checksum).toLowerCase())
            throw badInput(`Snapshot checksum mismatch: expected ${body.checksum}, got ${sha}`);
          return await this.recoverFrom(name, tmp, { priority, keep, sha256: sha });
        } finally {
          await fsp.rm(tmp, { force: true });
        }
      }
      throw badRequest(`URL ${url} with scheme ${url.protocol.replace(/:$/, '')} is not supported`);
    });
  }

  // ---------------------------------------------------------------- full storage snapshots

  /** @param {Ctx} ctx */
  async hFullList(ctx) {
    const list = await this.listDir(this.snapshotsDir);
    await this.ok(
      ctx,
      list.map((d) => this.maybeWrongChecksum(ctx, d)),
    );
  }

  /** @param {Ctx} ctx */
  async hFullCreate(ctx) {
    const wait = this.boolParam(ctx, 'wait') ?? true;
    const delay = this.createDelay(ctx);
    await this.timeOrAccept(ctx, wait, async () => {
      const { name, full } = this.snapshotName(this.snapshotsDir, 'full-snapshot');
      /** @type {string[]} */
      const parts = [];
      try {
        if (delay > 0) await sleep(delay);
        /** @type {import('./snapshot-format.js').TarEntry[]} */
        const entries = [
          {
            name: 'meta.json',
            size: 0,
            data: jsonData({
              format: `${FORMAT}-full`,
              version: this.version,
              collections: [...this.collections.keys()],
            }),
          },
          {
            name: 'aliases.json',
            size: 0,
            data: jsonData(
              [...this.aliases].map(([alias_name, collection_name]) => ({ alias_name, collection_name })),
            ),
          },
        ];
        for (const col of this.collections.values()) {
          const part = this.tmpPath(`${col.name}.part`);
          parts.push(part);
          await this.writeCollectionSnapshot(col, part);
          const st = await fsp.stat(part);
          entries.push({ name: `${col.name}.snapshot`, size: st.size, stream: fs.createReadStream(part) });
        }
        const tmp = this.tmpPath(full);
        const { sha256 } = await writeTar(tmp, entries);
        await this.writeChecksum(full, sha256);
        await fsp.rename(tmp, full);
      } finally {
        for (const p of parts) {
          await fsp.rm(p, { force: true });
          await fsp.rm(`${p}.checksum`, { force: true });
        }
      }
      return this.maybeWrongChecksum(ctx, await this.describe(full, name));
    });
  }

  /** @param {Ctx} ctx */
  async hFullDownload(ctx) {
    await this.plainErrors(async () => {
      const name = /** @type {string} */ (ctx.params.snapshot);
      const file = await this.snapshotPath(this.snapshotsDir, name);
      await this.serveFile(ctx, file, name);
    });
  }

  /** @param {Ctx} ctx */
  async hFullDelete(ctx) {
    const wait = this.boolParam(ctx, 'wait') ?? true;
    const file = await this.snapshotPath(this.snapshotsDir, /** @type {string} */ (ctx.params.snapshot));
    await this.timeOrAccept(ctx, wait, async () => {
      await fsp.rm(file);
      await fsp.rm(`${file}.checksum`, { force: true });
      return true;
    });
  }
}

/** @param {number|string} id @param {number} shards */
function shardOf(id, shards) {
  const digest = crypto.createHash('sha256').update(String(id)).digest();
  return digest.readUInt32BE(0) % shards;
}

/** @param {number} status */
function defaultFaultMessage(status) {
  if (status === 429) return 'Rate limiting exceeded: injected fault';
  if (status === 503) return 'Shard temporarily unavailable: injected fault';
  if (status === 404) return 'Not found: injected fault';
  if (status === 403) return 'Forbidden: injected fault';
  if (status === 408) return 'Timeout: injected fault';
  if (status >= 500) return 'Service internal error: injected fault';
  return 'Bad request: injected fault';
}

/** Key-order-independent JSON. @param {any} v @returns {string} */
function stable(v) {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined && v[k] !== null)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** @param {string} file */
export async function hashFile(file) {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Start an emulator.
 * @param {{ port?: number, host?: string, dataDir: string, apiKey?: string, readOnlyKey?: string,
 *   version?: string, peerId?: number, snapshotCreateDelayMs?: number }} opts
 */
export async function startEmulator(opts) {
  const emu = new Emulator(opts);
  await emu.init();
  await emu.listen(opts.port ?? 0);
  return emu;
}

/** file:// URL of a snapshot stored on the emulator (for PUT .../snapshots/recover). @param {string} p */
export const fileUrl = (p) => pathToFileURL(p).href;
