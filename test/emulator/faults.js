// Fault rules: emu.inject({ route, collection?, ...effects }) and the stream transforms that
// carry the byte-level effects (throttle, flip, reset).
import { Transform } from 'node:stream';
import { setImmediate } from 'node:timers';

export const ROUTES = [
  'root',
  'healthz',
  'livez',
  'readyz',
  'cluster',
  'collections.list',
  'collection.info',
  'collection.exists',
  'collection.create',
  'collection.delete',
  'collection.update',
  'aliases.list',
  'aliases.update',
  'points.upsert',
  'points.get',
  'points.count',
  'points.scroll',
  'points.query',
  'points.delete',
  'index.create',
  'index.delete',
  'collection.cluster',
  'snapshot.create',
  'snapshot.list',
  'snapshot.download',
  'snapshot.delete',
  'snapshot.upload',
  'snapshot.recover',
  'full_snapshot.create',
  'full_snapshot.list',
  'full_snapshot.download',
  'full_snapshot.delete',
  'unknown',
  '*',
];

/**
 * @typedef {{
 *   route: string,
 *   collection?: string,
 *   latencyMs?: number,
 *   failNext?: { count?: number, status: number, retryAfter?: number, message?: string },
 *   resetAfterBytes?: number,
 *   throttleBytesPerSec?: number,
 *   flipByteAt?: number,
 *   times?: number,
 *   wrongChecksum?: boolean,
 *   hang?: boolean,
 *   recoverKeepFraction?: number,
 *   createDelayMs?: number,
 * }} FaultSpec
 */

let nextId = 1;

export class FaultRule {
  /** @param {FaultSpec} spec @param {(r: FaultRule) => void} onRemove */
  constructor(spec, onRemove) {
    if (!spec || typeof spec !== 'object') throw new TypeError('inject(fault): fault must be an object');
    if (!ROUTES.includes(spec.route))
      throw new TypeError(
        `inject(fault): unknown route ${JSON.stringify(spec.route)}; one of ${ROUTES.join(', ')}`,
      );
    this.id = nextId++;
    this.spec = { ...spec };
    this.onRemove = onRemove;
    /** requests this rule matched */
    this.hits = 0;
    /** failures still to serve */
    this.failLeft = spec.failNext ? (spec.failNext.count ?? 1) : 0;
    /** byte-level triggers (reset / flip) still to serve */
    this.triggersLeft =
      spec.resetAfterBytes !== undefined || spec.flipByteAt !== undefined ? (spec.times ?? 1) : 0;
    /** plain `times` limit for rules with neither failNext nor byte triggers */
    this.usesLeft =
      !spec.failNext && this.triggersLeft === 0 && spec.times !== undefined
        ? spec.times
        : Number.POSITIVE_INFINITY;
    this.removed = false;
  }

  /** @param {string} route @param {string | undefined} collection */
  matches(route, collection) {
    if (this.removed) return false;
    if (this.spec.route !== '*' && this.spec.route !== route) return false;
    if (this.spec.collection !== undefined && this.spec.collection !== collection) return false;
    return true;
  }

  remove() {
    if (this.removed) return;
    this.removed = true;
    this.onRemove(this);
  }

  /** Called once per matched request. */
  use() {
    this.hits++;
    if (this.usesLeft !== Number.POSITIVE_INFINITY) {
      this.usesLeft--;
      if (this.usesLeft <= 0) this.remove();
    }
  }

  /** Take one failure; returns the failNext spec, or null when none is left. */
  takeFailure() {
    if (!this.spec.failNext || this.failLeft <= 0) return null;
    this.failLeft--;
    if (this.failLeft <= 0 && this.triggersLeft <= 0) this.remove();
    return this.spec.failNext;
  }

  /** Take one byte-level trigger (reset or flip); false when spent. */
  takeTrigger() {
    if (this.triggersLeft <= 0) return false;
    this.triggersLeft--;
    if (this.triggersLeft <= 0 && this.failLeft <= 0) this.remove();
    return true;
  }
}

/**
 * Byte-level effects for one body (download response or upload request).
 * @param {FaultRule[]} rules rules matching this request
 * @param {{ onReset: () => void, baseOffset?: number }} hooks
 * @returns {Transform[]}
 */
export function bodyTransforms(rules, hooks) {
  /** @type {Transform[]} */
  const out = [];
  for (const r of rules) {
    if (r.spec.flipByteAt !== undefined && r.triggersLeft > 0 && r.takeTrigger()) {
      out.push(flipByte(r.spec.flipByteAt - (hooks.baseOffset ?? 0)));
    }
  }
  const rate = Math.min(
    ...rules.map((r) => r.spec.throttleBytesPerSec ?? Number.POSITIVE_INFINITY),
    Number.POSITIVE_INFINITY,
  );
  if (Number.isFinite(rate) && rate > 0) out.push(throttle(rate));
  for (const r of rules) {
    if (r.spec.resetAfterBytes !== undefined && r.triggersLeft > 0 && r.takeTrigger()) {
      out.push(resetAfter(r.spec.resetAfterBytes, hooks.onReset));
      break;
    }
  }
  return out;
}

/** Flip (xor 0xff) the byte at `offset` of the stream. @param {number} offset */
export function flipByte(offset) {
  let pos = 0;
  return new Transform({
    transform(chunk, _enc, cb) {
      if (offset >= pos && offset < pos + chunk.length) {
        const copy = Buffer.from(chunk);
        copy.writeUInt8(copy.readUInt8(offset - pos) ^ 0xff, offset - pos);
        chunk = copy;
      }
      pos += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Pace a stream to `rate` bytes per second. @param {number} rate */
export function throttle(rate) {
  const start = Date.now();
  let sent = 0;
  const slice = Math.max(1, Math.floor(rate / 20));
  return new Transform({
    highWaterMark: slice,
    transform(chunk, _enc, cb) {
      const push = (/** @type {Buffer} */ b) => this.push(b);
      let off = 0;
      const step = () => {
        if (off >= chunk.length) return cb();
        const part = chunk.subarray(off, off + slice);
        off += part.length;
        sent += part.length;
        push(part);
        const due = start + (sent / rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) setTimeout(step, wait);
        else setImmediate(step);
      };
      step();
    },
  });
}

/** Let `limit` bytes through, then call onReset (which destroys the socket). @param {number} limit @param {() => void} onReset */
export function resetAfter(limit, onReset) {
  let pos = 0;
  let fired = false;
  return new Transform({
    transform(chunk, _enc, cb) {
      if (fired) return cb();
      if (pos + chunk.length < limit) {
        pos += chunk.length;
        return cb(null, chunk);
      }
      const part = chunk.subarray(0, limit - pos);
      pos = limit;
      fired = true;
      if (part.length > 0) this.push(part);
      // give the partial bytes a moment to reach the socket, then cut it
      setTimeout(onReset, 20);
      cb();
    },
  });
}
