/* global structuredClone */
// In-memory collection model: config normalisation (CreateCollection -> CollectionConfig with
// Qdrant 1.19 defaults), point validation the way Qdrant does it (dimensions, names, float32
// storage, cosine normalisation), id ordering, scroll and count.
import fs from 'node:fs';

import { badInput, formatError, validationError } from './errors.js';

const DISTANCES = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Defaults of config/config.yaml in Qdrant 1.19. */
export function defaultHnsw() {
  return { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false };
}
export function defaultOptimizers() {
  return {
    deleted_threshold: 0.2,
    vacuum_min_vector_number: 1000,
    default_segment_number: 0,
    max_segment_size: null,
    memmap_threshold: null,
    indexing_threshold: 10000,
    flush_interval_sec: 5,
    max_optimization_threads: null,
  };
}
export function defaultWal() {
  return { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 };
}

/** @param {unknown} v */
const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** @param {any} vp @param {string} where */
function checkVectorParams(vp, where) {
  if (!isObj(vp)) throw formatError('JSON body', `${where}: expected vector params object`);
  if (!Number.isInteger(vp.size)) throw formatError('JSON body', `${where}: missing field \`size\``);
  if (vp.size < 1)
    throw validationError('JSON body', `[${where}.size: value ${vp.size} invalid, must be 1 or larger]`);
  if (!DISTANCES.includes(vp.distance))
    throw formatError(
      'JSON body',
      `${where}: unknown variant \`${vp.distance}\`, expected one of \`Cosine\`, \`Euclid\`, \`Dot\`, \`Manhattan\``,
    );
  return { ...vp };
}

/** @param {any} v */
export function isSingleVectorParams(v) {
  return isObj(v) && 'size' in v && 'distance' in v;
}

/**
 * CreateCollection body -> the `config` object GET /collections/{c} reports.
 * A body that already has `params` (a stored config) is returned as is (deep-copied).
 * @param {any} body
 */
export function normalizeConfig(body) {
  if (body === undefined || body === null) body = {};
  if (!isObj(body)) throw formatError('JSON body', 'invalid type: expected struct CreateCollection');
  if (isObj(body.params)) return structuredClone(body);
  /** @type {any} */
  let vectors = {};
  if (body.vectors !== undefined && body.vectors !== null) {
    if (isSingleVectorParams(body.vectors)) vectors = checkVectorParams(body.vectors, 'vectors');
    else if (isObj(body.vectors)) {
      for (const [name, vp] of Object.entries(body.vectors))
        vectors[name] = checkVectorParams(vp, `vectors.${name}`);
    } else
      throw formatError(
        'JSON body',
        'vectors: data did not match any variant of untagged enum VectorsConfig',
      );
  }
  /** @type {any} */
  const params = {
    vectors,
    shard_number: body.shard_number ?? 1,
    replication_factor: body.replication_factor ?? 1,
    write_consistency_factor: body.write_consistency_factor ?? 1,
    on_disk_payload: body.on_disk_payload ?? true,
  };
  if (body.sharding_method) params.sharding_method = body.sharding_method;
  if (body.sparse_vectors && isObj(body.sparse_vectors))
    params.sparse_vectors = structuredClone(body.sparse_vectors);
  for (const k of ['shard_number', 'replication_factor', 'write_consistency_factor']) {
    if (!Number.isInteger(params[k]) || params[k] < 1)
      throw validationError('JSON body', `[${k}: value ${params[k]} invalid, must be 1 or larger]`);
  }
  /** @type {any} */
  const config = {
    params,
    hnsw_config: { ...defaultHnsw(), ...(isObj(body.hnsw_config) ? body.hnsw_config : {}) },
    optimizer_config: {
      ...defaultOptimizers(),
      ...(isObj(body.optimizers_config) ? body.optimizers_config : {}),
    },
    wal_config: { ...defaultWal(), ...(isObj(body.wal_config) ? body.wal_config : {}) },
    quantization_config: body.quantization_config ?? null,
    strict_mode_config: isObj(body.strict_mode_config)
      ? structuredClone(body.strict_mode_config)
      : { enabled: false },
  };
  if (body.metadata !== undefined && body.metadata !== null) config.metadata = structuredClone(body.metadata);
  return config;
}

/**
 * Point ids: unsigned integers or UUIDs (normalised to lower-case hyphenated form, as Qdrant prints them).
 * @param {unknown} id
 * @returns {number | string}
 */
export function normalizeId(id) {
  if (typeof id === 'number') {
    if (Number.isInteger(id) && id >= 0) return id;
    throw formatError('JSON body', `invalid value: integer \`${id}\`, expected u64 or UUID`);
  }
  if (typeof id === 'string') {
    if (UUID_RE.test(id)) {
      const h = id.replace(/-/g, '').toLowerCase();
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    throw formatError('JSON body', `Unable to parse UUID: ${id}`);
  }
  throw formatError('JSON body', 'data did not match any variant of untagged enum ExtendedPointId');
}

/** Qdrant orders numeric ids before UUIDs (derived Ord on the enum). @param {number|string} a @param {number|string} b */
export function compareIds(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** @param {number|string} id */
const idKey = (id) => (typeof id === 'number' ? `n${id}` : `u${id}`);

/** @param {number[]} v @param {string} distance */
function storeDense(v, distance) {
  const out = v.map((x) => Math.fround(x));
  if (distance === 'Cosine') {
    let n = 0;
    for (const x of out) n += x * x;
    n = Math.sqrt(n);
    if (n > 0) for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i] / n);
  }
  return out;
}

/** @param {any} v */
const isNumArray = (v) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Validate one dense/multi vector against its params and convert it to what Qdrant stores.
 * @param {any} v @param {any} params
 */
function denseFor(v, params) {
  if (isNumArray(v)) {
    if (v.length !== params.size)
      throw badInput(`Vector dimension error: expected dim: ${params.size}, got ${v.length}`);
    return storeDense(v, params.distance);
  }
  if (Array.isArray(v) && v.length > 0 && v.every(isNumArray)) {
    for (const inner of v)
      if (inner.length !== params.size)
        throw badInput(`Vector dimension error: expected dim: ${params.size}, got ${inner.length}`);
    return v.map((inner) => storeDense(inner, params.distance));
  }
  throw formatError('JSON body', 'data did not match any variant of untagged enum VectorStruct');
}

/** @param {any} v */
function sparseFor(v) {
  if (!isObj(v) || !Array.isArray(v.indices) || !Array.isArray(v.values))
    throw formatError('JSON body', 'data did not match any variant of untagged enum Vector');
  if (v.indices.length !== v.values.length)
    throw validationError('JSON body', '[indices: must be the same length as values]');
  if (new Set(v.indices).size !== v.indices.length)
    throw validationError('JSON body', '[indices: must be unique]');
  return { indices: [...v.indices], values: v.values.map((/** @type {number} */ x) => Math.fround(x)) };
}

export class Collection {
  /** @param {string} name @param {any} config */
  constructor(name, config) {
    this.name = name;
    this.config = config;
    /** @type {Map<string, {id: number|string, vector: any, payload: any}>} */
    this.points = new Map();
    /** @type {null | {file: string, count: number, dim: number, offset: number, idStart: number, vectorName: string, sha256?: string, fullCount: number}} */
    this.backing = null;
    this.operationId = 0;
    /** @type {Array<{id: number|string, vector: any, payload: any}> | null} */
    this.sorted = null;
    /**
     * Payload indexes the collection has registered (PUT /collections/{c}/index): new data gets them.
     * @type {Record<string, any>}
     */
    this.payloadIndexes = {};
    /**
     * Payload indexes its data carries: the registered ones, plus those a snapshot recovered into an
     * existing collection brought along in its segments.
     * @type {Record<string, any>}
     */
    this.dataIndexes = {};
  }

  /** GET /collections/{c} payload_schema: every index, with the number of points that have the field. */
  payloadSchema() {
    /** @type {Record<string, any>} */
    const out = {};
    for (const [field, schema] of Object.entries({ ...this.payloadIndexes, ...this.dataIndexes })) {
      const params = typeof schema === 'string' ? undefined : schema;
      const type = typeof schema === 'string' ? schema : schema.type;
      const points = this.countWhere((p) => {
        const v = field.split('.').reduce((o, k) => (isObj(o) ? o[k] : undefined), p.payload);
        return v !== undefined && v !== null;
      });
      out[field] = params
        ? { data_type: type, params: structuredClone(params), points }
        : { data_type: type, points };
    }
    return out;
  }

  get count() {
    return this.backing ? this.backing.count : this.points.size;
  }

  /**
   * Validate and convert a vector struct for this collection's config.
   * @param {any} vector
   */
  convertVector(vector) {
    const vcfg = this.config.params.vectors ?? {};
    const sparse = this.config.params.sparse_vectors ?? {};
    const single = isSingleVectorParams(vcfg);
    if (!isObj(vector)) {
      if (single) return denseFor(vector, vcfg);
      if ('' in vcfg) return { '': denseFor(vector, vcfg['']) };
      throw badInput('Not existing vector name error: ');
    }
    /** @type {Record<string, any>} */
    const out = {};
    for (const [name, v] of Object.entries(vector)) {
      if (single && name === '') out[name] = denseFor(v, vcfg);
      else if (!single && name in vcfg) out[name] = denseFor(v, vcfg[name]);
      else if (name in sparse) out[name] = sparseFor(v);
      else throw badInput(`Not existing vector name error: ${name}`);
    }
    // unnamed collections report the default vector as a plain array when it is the only one
    if (single && Object.keys(out).length === 1 && '' in out) return out[''];
    return out;
  }

  /**
   * @param {Array<{id: any, vector?: any, payload?: any}>} points raw points from a request
   * @returns {Array<{id: number|string, vector: any, payload: any}>}
   */
  preparePoints(points) {
    return points.map((p) => {
      if (!isObj(p)) throw formatError('JSON body', 'invalid type: expected struct PointStruct');
      if (!('id' in p)) throw formatError('JSON body', 'missing field `id`');
      if (!('vector' in p)) throw formatError('JSON body', 'missing field `vector`');
      const payload = p.payload === undefined || p.payload === null ? {} : p.payload;
      if (!isObj(payload)) throw formatError('JSON body', 'invalid type: expected a map for `payload`');
      return {
        id: normalizeId(p.id),
        vector: this.convertVector(p.vector),
        payload: structuredClone(payload),
      };
    });
  }

  /** @param {Array<{id: number|string, vector: any, payload: any}>} prepared */
  applyPoints(prepared) {
    if (this.backing) this.materialize();
    for (const p of prepared) this.points.set(idKey(p.id), p);
    this.sorted = null;
    return this.operationId++;
  }

  /** Delete points by id (POST /points/delete {points: [...]}). @param {Array<number|string>} ids */
  deletePoints(ids) {
    if (this.backing) this.materialize();
    for (const id of ids) this.points.delete(idKey(normalizeId(id)));
    this.sorted = null;
    return this.operationId++;
  }

  /** Load a backed collection into memory (only if somebody writes to it: keep test data small). */
  materialize() {
    const b = this.backing;
    if (!b) return;
    const all = readBackedPoints(b, 0, b.count);
    this.backing = null;
    for (const p of all) this.points.set(idKey(p.id), p);
    this.sorted = null;
  }

  /** Replace every point (snapshot recovery). @param {Array<{id: number|string, vector: any, payload: any}>} points */
  replacePoints(points) {
    this.backing = null;
    this.points = new Map();
    for (const p of points) this.points.set(idKey(p.id), p);
    this.sorted = null;
  }

  sortedPoints() {
    if (!this.sorted) this.sorted = [...this.points.values()].sort((a, b) => compareIds(a.id, b.id));
    return this.sorted;
  }

  /**
   * Ordered points starting at `offset` (inclusive), at most `limit` + 1 (to compute next_page_offset).
   * @param {number|string|null} offset @param {number} limit @param {(p: any) => boolean} [filter]
   */
  page(offset, limit, filter) {
    if (this.backing && !filter) {
      const b = this.backing;
      let start = 0;
      if (offset !== null && offset !== undefined) {
        if (typeof offset !== 'number') return [];
        start = Math.max(0, offset - b.idStart);
      }
      const n = Math.max(0, Math.min(limit + 1, b.count - start));
      return readBackedPoints(b, start, n);
    }
    const src = this.backing ? readBackedPoints(this.backing, 0, this.backing.count) : this.sortedPoints();
    let i = 0;
    if (offset !== null && offset !== undefined) {
      let lo = 0;
      let hi = src.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareIds(/** @type {any} */ (src[mid]).id, offset) < 0) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    const out = [];
    for (; i < src.length && out.length < limit + 1; i++) {
      const p = /** @type {any} */ (src[i]);
      if (!filter || filter(p)) out.push(p);
    }
    return out;
  }

  /**
   * The points with these ids, in the order given, absent ones left out; a backed collection reads only
   * those points from its file. @param {Array<number|string>} ids
   */
  pointsByIds(ids) {
    const b = this.backing;
    const out = [];
    for (const id of ids) {
      if (b) {
        const i = typeof id === 'number' ? id - b.idStart : -1;
        if (Number.isInteger(i) && i >= 0 && i < b.count) out.push(...readBackedPoints(b, i, 1));
      } else {
        const p = this.points.get(idKey(id));
        if (p) out.push(p);
      }
    }
    return out;
  }

  /** The ids of up to `limit` distinct points drawn at random (`query: {sample: 'random'}`). @param {number} limit */
  randomIds(limit) {
    const count = this.count;
    const picked = new Set();
    if (limit >= count) {
      for (let i = 0; i < count; i++) picked.add(i);
    } else {
      while (picked.size < limit) picked.add(Math.floor(Math.random() * count));
    }
    const b = this.backing;
    if (b) return [...picked].map((i) => b.idStart + i);
    const sorted = this.sortedPoints();
    return [...picked].map((i) => /** @type {any} */ (sorted[i]).id);
  }

  /** @param {(p: any) => boolean} [filter] */
  countWhere(filter) {
    if (!filter) return this.count;
    let n = 0;
    const src = this.backing ? readBackedPoints(this.backing, 0, this.backing.count) : this.points.values();
    for (const p of src) if (filter(p)) n++;
    return n;
  }
}

/**
 * Read points [start, start+n) of a backed collection straight from the snapshot file.
 * @param {{file: string, dim: number, offset: number, idStart: number, vectorName: string}} b
 * @param {number} start @param {number} n
 */
export function readBackedPoints(b, start, n) {
  if (n <= 0) return [];
  const bytes = n * b.dim * 4;
  const buf = Buffer.alloc(bytes);
  const fd = fs.openSync(b.file, 'r');
  try {
    let done = 0;
    while (done < bytes) {
      const r = fs.readSync(fd, buf, done, bytes - done, b.offset + start * b.dim * 4 + done);
      if (r === 0) break;
      done += r;
    }
  } finally {
    fs.closeSync(fd);
  }
  const out = [];
  for (let i = 0; i < n; i++) {
    const v = new Array(b.dim);
    for (let j = 0; j < b.dim; j++) v[j] = buf.readFloatLE((i * b.dim + j) * 4);
    out.push({ id: b.idStart + start + i, vector: b.vectorName ? { [b.vectorName]: v } : v, payload: {} });
  }
  return out;
}

/**
 * Minimal filter support: must / should / must_not over `has_id` and `{key, match: {value|any|except}}`.
 * @param {any} filter
 * @returns {((p: any) => boolean) | undefined}
 */
export function compileFilter(filter) {
  if (filter === undefined || filter === null) return undefined;
  if (!isObj(filter)) throw formatError('JSON body', 'invalid type: expected struct Filter');
  /** @param {any} c @returns {(p: any) => boolean} */
  const cond = (c) => {
    if (isObj(c) && Array.isArray(c.has_id)) {
      const ids = new Set(c.has_id.map((/** @type {any} */ x) => idKey(normalizeId(x))));
      return (p) => ids.has(idKey(p.id));
    }
    if (isObj(c) && typeof c.key === 'string' && isObj(c.match)) {
      const m = c.match;
      /** @param {any} p */
      const get = (p) =>
        c.key.split('.').reduce((/** @type {any} */ o, k) => (isObj(o) ? o[k] : undefined), p.payload);
      /** @param {any} val @param {(x: any) => boolean} f */
      const test = (val, f) => (Array.isArray(val) ? val.some(f) : f(val));
      if ('value' in m) return (p) => test(get(p), (x) => x === m.value);
      if (Array.isArray(m.any)) return (p) => test(get(p), (x) => m.any.includes(x));
      if (Array.isArray(m.except)) return (p) => !test(get(p), (x) => m.except.includes(x));
    }
    if (isObj(c) && (c.must || c.should || c.must_not)) {
      const f = compileFilter(c);
      return f ?? (() => true);
    }
    throw badInput(`Emulator: unsupported filter condition ${JSON.stringify(c)}`);
  };
  /** @param {any} x */
  const list = (x) => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]).map(cond);
  const must = list(filter.must);
  const should = list(filter.should);
  const mustNot = list(filter.must_not);
  return (p) =>
    must.every((f) => f(p)) &&
    (should.length === 0 || should.some((f) => f(p))) &&
    !mustNot.some((f) => f(p));
}

/**
 * Shape a stored point as a Qdrant Record for the given with_payload / with_vector selectors.
 * @param {{id: any, vector: any, payload: any}} p @param {any} withPayload @param {any} withVector
 */
export function toRecord(p, withPayload, withVector) {
  /** @type {any} */
  const rec = { id: p.id };
  if (withPayload === true) rec.payload = structuredClone(p.payload);
  else if (Array.isArray(withPayload)) {
    rec.payload = {};
    for (const k of withPayload) if (k in p.payload) rec.payload[k] = structuredClone(p.payload[k]);
  } else if (isObj(withPayload) && (withPayload.include || withPayload.exclude)) {
    rec.payload = {};
    for (const [k, v] of Object.entries(p.payload)) {
      if (withPayload.include && !withPayload.include.includes(k)) continue;
      if (withPayload.exclude && withPayload.exclude.includes(k)) continue;
      rec.payload[k] = structuredClone(v);
    }
  }
  if (withVector === true) rec.vector = structuredClone(p.vector);
  else if (Array.isArray(withVector) && isObj(p.vector)) {
    rec.vector = {};
    for (const k of withVector) if (k in p.vector) rec.vector[k] = structuredClone(p.vector[k]);
  }
  return rec;
}
