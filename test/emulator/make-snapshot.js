// Write a snapshot file in the emulator's format, streaming: benchmarks make 1-2 GiB files of
// random float32 vectors with this in constant memory.
import crypto from 'node:crypto';
import { setImmediate } from 'node:timers';

import { FORMAT, jsonData, jsonlEntry, writeTar } from './snapshot-format.js';
import { Collection, isSingleVectorParams, normalizeConfig } from './store.js';

export const DEFAULT_VERSION = '1.19.0';
const CHUNK = 1024 * 1024;

/**
 * @param {number} totalBytes
 * @returns {AsyncGenerator<Buffer>}
 */
async function* randomFloats(totalBytes) {
  let left = totalBytes;
  while (left > 0) {
    const n = Math.min(CHUNK, left);
    const buf = Buffer.allocUnsafe(n);
    crypto.randomFillSync(buf);
    const words = n >> 2;
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset, words);
    // mantissa from the random bits, exponent of 1.0: a float in [1, 2); then shift to [-0.5, 0.5)
    for (let i = 0; i < words; i++) u32[i] = (Number(u32[i]) >>> 9) | 0x3f800000;
    const f32 = new Float32Array(buf.buffer, buf.byteOffset, words);
    for (let i = 0; i < words; i++) f32[i] = Number(f32[i]) - 1.5;
    left -= n;
    yield buf;
    // let the event loop breathe between chunks
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * @param {string} path
 * @param {{
 *   collection: string,
 *   config?: any,
 *   points?: Array<{id: number|string, vector: any, payload?: any}>,
 *   randomPoints?: { count: number, dim: number },
 *   version?: string,
 * }} opts
 * @returns {Promise<{ size: number, sha256: string, points: number }>}
 */
export async function writeSnapshotFile(path, opts) {
  const version = opts.version ?? DEFAULT_VERSION;
  if (opts.randomPoints) {
    const { count, dim } = opts.randomPoints;
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(dim) || dim < 1)
      throw new Error('randomPoints needs integer count >= 0 and dim >= 1');
    const config = normalizeConfig(opts.config ?? { vectors: { size: dim, distance: 'Dot' } });
    const vectors = config.params.vectors;
    let vectorName = '';
    if (isSingleVectorParams(vectors)) {
      if (vectors.size !== dim)
        throw new Error(`config vector size ${vectors.size} != randomPoints.dim ${dim}`);
    } else {
      const names = Object.keys(vectors);
      if (names.length !== 1) throw new Error('randomPoints needs a config with exactly one dense vector');
      vectorName = /** @type {string} */ (names[0]);
      if (vectors[vectorName].size !== dim) throw new Error(`config vector size != randomPoints.dim ${dim}`);
    }
    const meta = {
      format: FORMAT,
      version,
      collection: opts.collection,
      points: count,
      layout: 'vectors-bin',
      dim,
      vectorName,
      idStart: 1,
    };
    const bytes = count * dim * 4;
    const r = await writeTar(path, [
      { name: 'meta.json', size: 0, data: jsonData(meta) },
      { name: 'config.json', size: 0, data: jsonData(config) },
      { name: 'vectors.bin', size: bytes, stream: randomFloats(bytes) },
    ]);
    return { ...r, points: count };
  }
  const config = normalizeConfig(opts.config ?? {});
  const prepared = new Collection(opts.collection, config).preparePoints(opts.points ?? []);
  const seen = new Map(prepared.map((p) => [typeof p.id === 'number' ? `n${p.id}` : `u${p.id}`, p]));
  const points = [...seen.values()];
  const meta = {
    format: FORMAT,
    version,
    collection: opts.collection,
    points: points.length,
    layout: 'jsonl',
  };
  const body = jsonlEntry(points);
  const r = await writeTar(path, [
    { name: 'meta.json', size: 0, data: jsonData(meta) },
    { name: 'config.json', size: 0, data: jsonData(config) },
    { name: 'points.jsonl', size: body.size, stream: body.stream },
  ]);
  return { ...r, points: points.length };
}
