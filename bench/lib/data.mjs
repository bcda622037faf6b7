// Snapshot files and points for the benchmarks, made in constant memory.
//  - random float vectors (the emulator's writeSnapshotFile: float32 in [-0.5, 0.5), 23 random
//    mantissa bits): the worst case for compression;
//  - "real-ish" embeddings: unit vectors drawn around a few hundred cluster centres, values of order
//    1/sqrt(dim) as sentence embeddings have, with a text payload. Written either as float32 (the way
//    Qdrant stores dense vectors on disk) or upserted through the REST API.
import { writeSnapshotFile } from '../../test/emulator/make-snapshot.js';
import { FORMAT, jsonData, writeTar } from '../../test/emulator/snapshot-format.js';
import { normalizeConfig } from '../../test/emulator/store.js';

export const RANDOM_DIM = 256;
export const REALISH_DIM = 384;

/** A snapshot of `bytes` (rounded down to whole points) of random float32 vectors. */
export async function randomSnapshot(file, collection, bytes) {
  const count = Math.max(1, Math.floor(bytes / (RANDOM_DIM * 4)));
  return writeSnapshotFile(file, { collection, randomPoints: { count, dim: RANDOM_DIM } });
}

/** Small, fast, seeded PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Embedding-like unit vectors: cluster centre + noise, normalised. */
export function realishVectors(dim, seed = 1, clusters = 256) {
  const random = prng(seed);
  const gauss = () => {
    const u = random() || 1e-12;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  // Sentence embeddings have a few dominant dimensions and a shared offset: a common bias vector.
  const bias = Float64Array.from({ length: dim }, (_, i) => (i % 17 === 0 ? 0.6 : 0.05) * gauss());
  const centres = Array.from({ length: clusters }, () => Float64Array.from({ length: dim }, gauss));
  return function next(out = new Float32Array(dim)) {
    const centre = centres[Math.floor(random() * clusters)];
    let norm = 0;
    const v = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      v[i] = bias[i] + centre[i] + 0.6 * gauss();
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < dim; i++) out[i] = v[i] / norm;
    return out;
  };
}

const WORDS =
  'vector search qdrant snapshot backup restore index payload cluster shard segment embedding model query filter score distance cosine dot euclid recall latency throughput memory disk replica collection alias point batch upsert scroll count optimizer hnsw quantization sparse dense hybrid rerank document chunk title author summary product review price category brand color size release'.split(
    ' ',
  );

/** A payload a document collection typically carries. */
export function realishPayload(random, id) {
  const pick = () => WORDS[Math.floor(random() * WORDS.length)];
  const text = Array.from({ length: 24 + Math.floor(random() * 24) }, pick).join(' ');
  return {
    doc_id: `doc-${id.toString(36).padStart(6, '0')}`,
    title: `${pick()} ${pick()} ${pick()}`,
    text,
    tags: [pick(), pick()],
    year: 2000 + Math.floor(random() * 26),
    price: Math.round(random() * 10000) / 100,
  };
}

/** Points of a real-ish document collection, for upsert. */
export function* realishPoints(count, dim, seed = 7) {
  const next = realishVectors(dim, seed);
  const random = prng(seed + 1);
  for (let id = 1; id <= count; id++) {
    yield { id, vector: Array.from(next()), payload: realishPayload(random, id) };
  }
}

/**
 * A snapshot in the emulator's large-data layout (float32 vectors.bin, as Qdrant stores dense vectors)
 * filled with real-ish embeddings instead of random floats.
 */
export async function realishBinarySnapshot(file, collection, bytes, dim = REALISH_DIM) {
  const count = Math.max(1, Math.floor(bytes / (dim * 4)));
  const config = normalizeConfig({ vectors: { size: dim, distance: 'Cosine' } });
  const meta = {
    format: FORMAT,
    version: '1.19.0',
    collection,
    points: count,
    layout: 'vectors-bin',
    dim,
    vectorName: '',
    idStart: 1,
  };
  const next = realishVectors(dim, 11);
  async function* vectors() {
    const perChunk = Math.max(1, Math.floor((1 << 20) / (dim * 4)));
    for (let done = 0; done < count; done += perChunk) {
      const n = Math.min(perChunk, count - done);
      const chunk = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) next(chunk.subarray(i * dim, (i + 1) * dim));
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }
  const written = await writeTar(file, [
    { name: 'meta.json', size: 0, data: jsonData(meta) },
    { name: 'config.json', size: 0, data: jsonData(config) },
    { name: 'vectors.bin', size: count * dim * 4, stream: vectors() },
  ]);
  return { ...written, points: count };
}
